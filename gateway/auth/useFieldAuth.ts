import { MeshError } from '../../core/errors/MeshError.js';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { createHash } from 'node:crypto';
import { GraphQLError, print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { auditFieldAuth, auditRefusal, stderrAuditSink, type AuditSink } from './auditFieldAuth.js';
import { onGatewaySupergraph, wrapGatewayExecutor, type GatewayExecutor, type GatewayLike } from '../../core/apollo/index.js';
import { loadAuthSchema, type AuthSchema } from './AuthSchema.js';
import { deniedPaths } from './authorizeOperation.js';
import { cachedAuthorization } from './cachedAuthorization.js';
import type { PolicyRegistry } from './decideFieldAccess.js';
import { handOverDenials } from './fieldDenials.js';
import { principalOf } from './Principal.js';
import { replayWithDenials, unauthorizedFieldError } from './replayWithDenials.js';
import { operationResolutionError, resolveOperation } from './resolveOperation.js';

export type { GatewayLike };

/** What happens to an operation selecting fields the caller may not see. */
export type FieldAuthMode = 'filter' | 'reject';

/** Options of `useFieldAuth`. */
export interface FieldAuthOptions {
  /**
   * `filter`: denied fields are removed before planning and come back `null` with an
   * UNAUTHORIZED_FIELD_OR_TYPE error at their path; `reject`: the whole operation fails with those
   * errors and no data (HTTP 403).
   * @default 'filter'
   */
  mode?: FieldAuthMode;
  /** Named policies for `@policy`. @default {} (every policy denies) */
  policies?: PolicyRegistry;
  /** Receives the audit records. @default JSON lines on stderr */
  audit?: AuditSink;
  /**
   * The auth view of the supergraph SDL the gateway took into service (as handed to it). The gateway
   * passes its snapshot's, so nothing is parsed again; if it throws, operations fail closed
   * (INTERNAL_SERVER_ERROR) until the next supergraph.
   * @default parses the SDL (`loadAuthSchema`)
   */
  authSchemaFor?: (gatewaySupergraphSdl: string) => AuthSchema;
}

/** A gateway that enforces the supergraph's auth directives, and the auth view of its schema. */
export interface FieldAuthGateway extends GatewayLike {
  /** The auth view of the supergraph in service; null before the first load. */
  authSchema(): AuthSchema | null;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Apollo Server resolved no operation: the reason, as a coded 400. Resolving again can only explain the
 * failure; an operation it finds anyway is still refused (the two rules disagreeing is no pass).
 */
function resolveFailure(document: DocumentNode | undefined, operationName: string | null | undefined): GraphQLError {
  const resolved: OperationDefinitionNode | GraphQLError = document
    ? resolveOperation(document, operationName)
    : operationResolutionError('The request has no document.');
  return resolved instanceof GraphQLError ? resolved : operationResolutionError('The operation could not be resolved.');
}

/**
 * Wraps an `ApolloGateway` so every operation is authorized before it is planned. The principal is
 * `context.principal` (set by the HTTP context function); without one the caller is anonymous.
 *
 * Fails closed: a request whose operation cannot be resolved (unknown `operationName`, `""`, several
 * operations and no name) is refused with OPERATION_RESOLUTION_FAILURE and HTTP 400 before anything is
 * planned, and audited; no path reaches the gateway without an authorization.
 *
 * The rewritten document gets its own `queryHash`: the gateway caches query plans by hash, and a plan
 * made for one caller's document must never serve another caller's (a finance plan reused for a caller
 * without finance scopes would fetch `revenue` from the subgraph).
 */
export function useFieldAuth(gateway: GatewayLike, options: FieldAuthOptions = {}): FieldAuthGateway {
  const { mode = 'filter', policies = {}, audit = stderrAuditSink, authSchemaFor = loadAuthSchema } = options;
  let current: AuthSchema | null = null;
  let currentSdl: string | null = null;
  // Per document, operation and scope set, not per request (gateway/auth/cachedAuthorization.ts).
  const authorizeOperation = cachedAuthorization();
  onGatewaySupergraph(gateway, (coreSupergraphSdl) => {
    if (coreSupergraphSdl === currentSdl) return;
    currentSdl = coreSupergraphSdl;
    try {
      current = authSchemaFor(coreSupergraphSdl);
    } catch {
      // The gateway accepted this supergraph, so this cannot happen; if it does, fail closed.
      current = null;
    }
  });

  const authorized =
    (inner: GatewayExecutor): GatewayExecutor =>
    async (requestContext) => {
      const authSchema = current;
      if (!authSchema) {
        return { errors: [new MeshError(ErrorCode.INTERNAL_SERVER_ERROR, 'Authorization is unavailable: the supergraph could not be read.')] };
      }
      const principal = principalOf(requestContext.context);
      const operationHash = requestContext.queryHash;
      const requestedName = requestContext.request.operationName;
      // The operation Apollo Server resolved (graphql-js rules, which is what the client asked for), not
      // one resolved again by name: @apollo/gateway reads `operationName: ""` as "no name" and would run
      // the only operation while a lookup by name found none. No operation: refused, before any plan.
      const operation = requestContext.operation ?? resolveFailure(requestContext.document, requestedName);
      if (operation instanceof GraphQLError) {
        auditRefusal(audit, { principal, operationName: requestedName, operationHash, reason: operation.message });
        throw operation;
      }
      const authorization = authorizeOperation({ authSchema, principal, document: requestContext.document, operation, policies });
      if (!authorization) {
        // Cannot happen for an operation of the document; if it does, nothing runs unchecked.
        const error = operationResolutionError('The operation to authorize is not part of the document.');
        auditRefusal(audit, { principal, operationName: requestedName, operationHash, reason: error.message });
        throw error;
      }
      const operationName = operation.name?.value;
      auditFieldAuth(audit, authorization, { principal, operationName, operationHash });
      if (authorization.denied.size > 0 && mode === 'reject') {
        // 403: the operation as a whole is forbidden (Apollo Server reads the status from the errors).
        const errors = deniedPaths(authorization).map(({ path, field }) => unauthorizedFieldError(field, path));
        for (const error of errors) Object.assign(error.extensions, { http: { status: 403 } });
        return { errors };
      }

      // The executor gets a document holding this one operation and the name it has (none when it is
      // anonymous): whatever rule it resolves by, there is nothing else for it to select.
      const document = authorization.document;
      const unchanged = document === requestContext.document;
      const source = (unchanged ? requestContext.source : undefined) ?? print(document);
      const innerContext = {
        ...requestContext,
        request: { ...requestContext.request, query: source, operationName },
        document,
        operation: authorization.plannedOperation,
        operationName: operationName ?? null,
        source,
        queryHash: unchanged ? requestContext.queryHash : sha256(source),
      };
      // An executor that shapes the response itself (gateway/engine/) answers the denied fields in that
      // pass and says so; otherwise the result is replayed with graphql-js.
      const handoff =
        authorization.denied.size > 0
          ? handOverDenials(innerContext, {
              original: authorization.original,
              operation: authorization.operation,
              denied: authorization.denied,
              errorsWithoutData: () => deniedPaths(authorization).map(({ path, field }) => unauthorizedFieldError(field, path)),
            })
          : undefined;
      const result = await inner(innerContext);
      if (!handoff || handoff.handled) return result;
      return replayWithDenials({ authSchema, authorization, variables: requestContext.request.variables, result });
    };

  return { ...wrapGatewayExecutor(gateway, authorized), authSchema: () => current };
}
