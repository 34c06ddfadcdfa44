import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { MeshError } from '../../core/errors/MeshError.js';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { ExecutionResult } from 'graphql';
import { loadAuthSchema, type AuthSchema } from './AuthSchema.js';
import { authorizeSubscription, type AuthorizedSubscriptionRequest, type SubscriptionAuthRequest } from './authorizeSubscription.js';
import { createGatewayTokenSigner } from './createGatewayTokenSigner.js';
import { AuthenticationError, createTokenVerifier, SigningKeysUnavailableError } from './createTokenVerifier.js';
import type { GatewayAuthConfig } from './GatewayAuthConfig.js';
import { IdentityDataSource } from './IdentityDataSource.js';
import type { SubgraphHttp } from '../upstream/createSubgraphClient.js';
import { SubgraphDataSource } from '../upstream/SubgraphDataSource.js';
import { principalOf, type Principal } from './Principal.js';
import { useFieldAuth, type FieldAuthGateway, type GatewayLike } from './useFieldAuth.js';

/** The auth side of the supergraph in service: the SDL as handed to @apollo/gateway, and its auth view. */
export interface SupergraphAuthView {
  readonly gatewaySdl: string;
  readonly auth: AuthSchema;
}

/** Options of `createGatewayAuth` beside its configuration. */
export interface GatewayAuthOptions {
  /**
   * The supergraph in service (the gateway's snapshot), read at every subscription and whenever
   * @apollo/gateway takes a supergraph: nothing is parsed again. Null before the first supergraph:
   * subscriptions are then refused.
   * @default () => null
   */
  supergraph?: () => SupergraphAuthView | null;
}

/** Everything the gateway's adapters need from the auth layer, built from one configuration. */
export interface GatewayAuth {
  /**
   * The principal of an HTTP request: anonymous without an `Authorization` header; a bad token throws a
   * GraphQLError with `extensions.code: 'UNAUTHENTICATED'` and HTTP status 401.
   */
  principalFromHttp(authorization: string | undefined): Promise<Principal>;
  /** The principal of a websocket `connection_init` payload (`authorization: "Bearer …"`); throws when bad. */
  principalFromConnectionParams(params: Readonly<Record<string, unknown>> | undefined | null): Promise<Principal>;
  /** The gateway Apollo Server is given: operations are authorized before planning. */
  wrapGateway(gateway: GatewayLike): FieldAuthGateway;
  /** Whether a subgraph may receive caller identities (`GatewayAuthConfig.trustedSubgraphs`). */
  isTrusted(subgraph: string): boolean;
  /**
   * A data source for one replica of a subgraph: a trusted subgraph gets the caller's identity signed
   * for it alone; any other subgraph gets no identity at all. Requests go through `http` (the gateway's
   * pooled subgraph client; default a shared client with default settings).
   */
  dataSource(subgraph: string, url: string, http?: SubgraphHttp): GraphQLDataSource;
  /** Headers for the gateway's own requests to a subgraph (SDL polling, readiness probes); none when untrusted. */
  serviceHeaders(subgraph: string): Promise<Record<string, string>>;
  /**
   * Upstream websocket `connection_init` for a client's subscription at a trusted subgraph (undefined
   * for any other: no identity is sent): a token minted per (re)connect, because a connection outlives
   * any 60-second token; connections are shared per identity (sub + scopes), never per token string,
   * which would defeat sharing and still go stale on reconnect.
   */
  upstreamConnection(context: unknown, subgraph: string): { sharingKey: string; params: () => Promise<Record<string, unknown>> } | undefined;
  /**
   * The identity a subscription group runs as (the executor's `groupIdentity`): the client's own when a
   * subgraph of the plan filters by subject (`perSubjectSubgraphs`), else the scope set's, without
   * `sub` or expiry, shared by every client holding those scopes.
   */
  groupIdentity(context: unknown, subgraphs: readonly string[]): { key: string; context: unknown };
  /** Authorizes a subscription request before it reaches the subscription executor. */
  authorizeSubscription<T>(
    request: SubscriptionAuthRequest,
    subscribe: (request: AuthorizedSubscriptionRequest) => Promise<T | ExecutionResult>,
    onExpired: () => void,
  ): Promise<T | ExecutionResult>;
}

/** Throws at start when the key set cannot be read or the secret is too short. */
export function createGatewayAuth(config: GatewayAuthConfig, options: GatewayAuthOptions = {}): GatewayAuth {
  const { mode, policies = {}, audit } = config;
  const { supergraph = () => null } = options;
  // The snapshot's auth view when the gateway took the snapshot's SDL (always, as the manager hands it
  // over after the swap); any other SDL is parsed, so the view always matches what the gateway plans.
  const authSchemaFor = (gatewaySdl: string) => {
    const inService = supergraph();
    return inService?.gatewaySdl === gatewaySdl ? inService.auth : loadAuthSchema(gatewaySdl);
  };
  const verifier = createTokenVerifier(config);
  const signer = createGatewayTokenSigner({ secret: config.gatewaySecret });
  const trusted = config.trustedSubgraphs && new Set(config.trustedSubgraphs);
  const isTrusted = (subgraph: string) => !trusted || trusted.has(subgraph);
  const perSubject = new Set(config.perSubjectSubgraphs ?? []);

  const toGraphQLError = (error: unknown): never => {
    if (error instanceof AuthenticationError) {
      throw new MeshError(ErrorCode.UNAUTHENTICATED, `Unauthenticated: ${error.reason}.`, {
        cause: error,
        http: { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } },
      });
    }
    if (error instanceof SigningKeysUnavailableError) {
      throw new MeshError(ErrorCode.SERVICE_UNAVAILABLE, 'Tokens cannot be verified right now: the signing keys are unavailable.', { cause: error, http: {} });
    }
    throw error;
  };

  return {
    principalFromHttp: (authorization) => verifier.fromAuthorization(authorization).catch(toGraphQLError),
    principalFromConnectionParams: (params) => {
      const value = params?.authorization ?? params?.Authorization;
      if (value !== undefined && typeof value !== 'string')
        return Promise.reject(new AuthenticationError('connectionParams.authorization must be "Bearer <token>"'));
      return verifier.fromAuthorization(value);
    },
    wrapGateway: (gateway) => useFieldAuth(gateway, { mode, policies, audit, authSchemaFor }),
    isTrusted,
    dataSource: (subgraph, url, http) =>
      isTrusted(subgraph) ? new IdentityDataSource({ url, subgraph, http }, signer) : new SubgraphDataSource({ url, serviceName: subgraph, http }),
    serviceHeaders: async (subgraph) => (isTrusted(subgraph) ? signer.headersFor(subgraph) : {}),
    upstreamConnection(context, subgraph) {
      if (!isTrusted(subgraph)) return undefined;
      const principal = principalOf(context);
      const sharingKey = JSON.stringify([principal.authenticated, principal.sub ?? null, [...principal.scopes].sort()]);
      return { sharingKey, params: () => signer.headersFor(subgraph, principal) };
    },
    groupIdentity(context, subgraphs) {
      const principal = principalOf(context);
      const scopes = [...principal.scopes].sort();
      if (subgraphs.some((name) => perSubject.has(name)))
        return { key: JSON.stringify(['subject', principal.authenticated, principal.sub ?? null, scopes]), context };
      const shared: Principal = { authenticated: principal.authenticated, scopes, claims: {} };
      return { key: JSON.stringify(['scopes', principal.authenticated, scopes]), context: { principal: shared } };
    },
    authorizeSubscription: (request, subscribe, onExpired) =>
      authorizeSubscription({ authSchema: supergraph()?.auth ?? null, request, subscribe, onExpired, mode, policies, audit }),
  };
}
