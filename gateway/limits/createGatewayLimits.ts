import { MeshError } from '../../core/errors/MeshError.js';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Principal } from '../auth/Principal.js';
import { cachedOperationCheck } from './cachedOperationCheck.js';
import { createRateLimiter, rateLimitKey, type RateLimiter } from './createRateLimiter.js';
import { createTrustedDocuments, type DocumentRequest } from './createTrustedDocuments.js';
import type { GatewayLimitsConfig } from './GatewayLimitsConfig.js';
import { NO_COST_DIRECTIVES, type CostDirectives } from './readCostDirectives.js';
import { ADMITTED, useOperationLimits } from './useOperationLimits.js';

/** A websocket operation as the client sent it. */
export interface WebsocketOperation extends DocumentRequest {
  variables?: Record<string, unknown> | null;
}

/** The gateway's limits, built from one configuration, for its HTTP and websocket adapters. */
export interface GatewayLimits {
  readonly config: GatewayLimitsConfig;
  /** The Apollo Server plugin: trusted documents and static limits of HTTP operations. */
  readonly plugin: ApolloServerPlugin;
  /** Spends one operation of the caller's budget; throws REQUEST_RATE_LIMITED (429, Retry-After). */
  admitCaller(principal: Principal, clientAddress: string | undefined): Promise<void>;
  /**
   * Everything for one websocket operation: budget, trusted documents, static limits. Returns the
   * parsed document to validate and run, or the refusal.
   */
  admitWebsocketOperation(
    operation: WebsocketOperation,
    caller: { principal: Principal; clientAddress?: string },
    schema: GraphQLSchema,
  ): Promise<{ document: DocumentNode } | GraphQLError>;
  /** A context marked as admitted, so the HTTP pipeline does not check (nor charge) it twice. */
  admitted<T extends object>(context: T): T;
  /** Resolves once the rate limiter's budget store is decided (`RateLimiter.settled`); never rejects. */
  settled: Promise<void>;
  close(): Promise<void>;
}

/**
 * Throws when the trusted documents file cannot be read (the gateway must not start without it).
 * `costs` gives the `@cost`/`@listSize` directives of the supergraph in service (the gateway reads its
 * snapshot's), read at every check; by default every type and field has the default weight.
 * `onRateLimited` hears each request or operation the rate limit refused (for `mesh_gateway_errors_total`).
 */
export function createGatewayLimits(
  config: GatewayLimitsConfig,
  log: (message: string) => void = () => {},
  costs: () => CostDirectives = () => NO_COST_DIRECTIVES,
  onRateLimited: () => void = () => {},
): GatewayLimits {
  const trustedDocuments = createTrustedDocuments(config.trustedDocuments, log);
  const rateLimiter: RateLimiter | null = config.rateLimit ? createRateLimiter(config.rateLimit, log) : null;
  // Per document (and variables), not per request: dropped whole when the supergraph changes.
  const check = cachedOperationCheck({ limits: config.operations, costs });

  return {
    config,
    plugin: useOperationLimits({
      trustedDocuments,
      check: (source, variables, schema) => {
        const result = check(source, variables, schema);
        return result.ok ? null : result.error;
      },
    }),
    async admitCaller(principal, clientAddress) {
      const refusal = await rateLimiter?.consume(rateLimitKey(principal, clientAddress));
      if (refusal) {
        onRateLimited();
        throw refusal;
      }
    },
    async admitWebsocketOperation(operation, caller, schema) {
      const refusal = await rateLimiter?.consume(rateLimitKey(caller.principal, caller.clientAddress));
      if (refusal) {
        onRateLimited();
        return refusal;
      }
      const resolved = trustedDocuments.resolve({ ...operation, query: operation.query || undefined });
      if (resolved instanceof Error) return resolved;
      if (!resolved.query) return new MeshError(ErrorCode.BAD_REQUEST, 'The operation has no document: send `query`, or the id of a registered document.');
      const result = check(resolved.query, operation.variables, schema);
      return result.ok ? { document: result.document } : result.error;
    },
    admitted: (context) => ({ ...context, [ADMITTED]: true }),
    settled: rateLimiter?.settled ?? Promise.resolve(),
    async close() {
      trustedDocuments.close();
      await rateLimiter?.close();
    },
  };
}
