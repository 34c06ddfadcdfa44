import type { AuditSink } from './auditFieldAuth.js';
import type { PolicyRegistry } from './decideFieldAccess.js';
import type { KeySource } from '../../core/tokens/KeySource.js';
import type { FieldAuthMode } from './useFieldAuth.js';

/** The gateway's authentication and authorization settings. */
export interface GatewayAuthConfig {
  /** Keys that sign user tokens: the identity provider's JWKS URL, or a JWKS file (development). */
  keys: KeySource;
  /** The only accepted token issuer (`iss`). */
  issuer: string;
  /** The audience (`aud`) tokens must be issued for. */
  audience: string;
  /** The claim holding scopes: a space-separated string or an array. */
  scopesClaim: string;
  /** `filter` nulls denied fields with errors; `reject` fails the whole operation. */
  mode: FieldAuthMode;
  /** Shared secret (HS256, ≥ 32 characters) for the identity tokens the gateway sends subgraphs. */
  gatewaySecret: string;
  /**
   * The subgraphs (by supergraph name) that receive caller identities. A subgraph composed into the
   * supergraph but not named here gets no identity token at all (HTTP or websocket), so a subgraph the
   * mesh does not own never holds a token it could replay. `gatewayConfigFromEnv` always sets it
   * (`MESH_TRUSTED_SUBGRAPHS`, else the names in `MESH_SUBGRAPHS`).
   * @default every subgraph of the supergraph
   */
  trustedSubgraphs?: readonly string[];
  /**
   * The subgraphs (by supergraph name) whose subscription answers depend on WHO asks, not only on the
   * scopes (they filter events by the token's `sub`). A subscription whose plan touches one of them is
   * shared only between clients of the same subject; any other subscription is shared between clients
   * with the same scope set, and the subgraphs then get an identity without `sub` (the scope set's). See
   * docs/architecture.md "Subscription groups" (`MESH_SUBSCRIPTION_PER_SUBJECT`).
   * @default [] (no subgraph filters by subject: groups are per scope set)
   */
  perSubjectSubgraphs?: readonly string[];
  /** Named policies for `@policy`; env cannot declare functions, an embedding program can. @default {} */
  policies?: PolicyRegistry;
  /** Where audit records go. @default JSON lines on stderr */
  audit?: AuditSink;
  /** Logged as warnings at start. (Development credentials in production are refused by `gatewayConfigFromEnv`, not warned about.) */
  warnings?: string[];
}
