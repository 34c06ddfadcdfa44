import { MeshError } from '../../core/errors/MeshError.js';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { createHash } from 'node:crypto';
import {
  GraphQLError,
  print,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
} from 'graphql';
import type { ClientChecks } from '../subscriptions/ClientStream.js';
import type { ScopedResult, SubscriptionScope } from '../subscriptions/SubscriptionScope.js';
import { auditFieldAuth, auditRefusal, stderrAuditSink, type AuditSink } from './auditFieldAuth.js';
import type { AuthSchema } from './AuthSchema.js';
import { authorizeOperation, deniedPaths, deniesRootField, type DeniedField, type OperationAuthorization } from './authorizeOperation.js';
import type { PolicyRegistry } from './decideFieldAccess.js';
import { isExpired, principalOf, type Principal } from './Principal.js';
import { replayWithDenials, unauthorizedFieldError } from './replayWithDenials.js';
import { operationResolutionError, resolveOperation, withoutHttpStatus } from './resolveOperation.js';
import type { FieldAuthMode } from './useFieldAuth.js';

/** A client's subscription as the websocket adapter hands it over. */
export interface SubscriptionAuthRequest {
  document: DocumentNode;
  variables?: Record<string, unknown>;
  operationName?: string;
  /**
   * The name the client gave its operation, when `document` is a shared unnamed copy of it
   * (gateway/http/shareNamedSubscriptions.ts): audit entries report it.
   */
  clientOperationName?: string;
  /** The connection's context; `context.principal` is the caller. */
  context?: unknown;
}

/** The request the executor gets: the authorized operation alone, and the auth part of its group. */
export interface AuthorizedSubscriptionRequest extends SubscriptionAuthRequest {
  scope: SubscriptionScope;
}

/** Options of `authorizeSubscription`. */
export interface AuthorizeSubscriptionOptions<T> {
  /** The auth view of the supergraph the subscription executor plans with; null fails closed. */
  authSchema: AuthSchema | null;
  request: SubscriptionAuthRequest;
  /**
   * Opens the subscription for the (rewritten) request: the federated subscription executor, which runs
   * `scope.transform` once per event for the group and `scope.expired` per client.
   */
  subscribe(request: AuthorizedSubscriptionRequest): Promise<T | ExecutionResult>;
  /**
   * The caller's token expired: called once, before the client's stream ends; the adapter closes the
   * connection (graphql-ws close code 4403). A throw is ignored.
   */
  onExpired(): void;
  /** @default 'filter' */
  mode?: FieldAuthMode;
  /** @default {} */
  policies?: PolicyRegistry;
  /** @default JSON lines on stderr */
  audit?: AuditSink;
  /** @default Date.now */
  now?: () => number;
}

const errorsAt = (authorization: OperationAuthorization, denied = authorization.denied): ExecutionResult => ({
  errors: deniedPaths({ ...authorization, denied }).map(({ path, field }) => unauthorizedFieldError(field, path)),
});

/**
 * Field-level authorization for a subscription: denied fields are removed before planning, and come back
 * `null` with an error at their path in every event. A denied root field is an error result, and no
 * upstream subscription is opened. Every event is checked again: an expired token ends the client's
 * stream through `onExpired`, and decisions are re-made (a policy may change its mind; a field never
 * re-appears because it was not fetched).
 *
 * The per-event decision and replay are the executor's `scope.transform`, run once per event for a
 * group of clients whose `scope.key` is equal: the same authentication state and scope set (and, when
 * the operation reaches a `@policy` field, the same claims, since a policy may read any claim). Expiry
 * is each client's own.
 *
 * Fails closed: a document that does not validate, or whose operation cannot be resolved, is an error
 * result and nothing is opened. The executor gets a document holding only the authorized operation.
 */
export async function authorizeSubscription<T>(options: AuthorizeSubscriptionOptions<T>): Promise<T | ExecutionResult> {
  const { authSchema, request, subscribe, onExpired, mode = 'filter', policies = {}, audit = stderrAuditSink, now = Date.now } = options;
  if (!authSchema) return { errors: [new MeshError(ErrorCode.INTERNAL_SERVER_ERROR, 'Authorization is unavailable: the supergraph is not loaded.')] };
  const invalid = validated(authSchema.schema, request.document);
  if (invalid.length > 0) {
    return { errors: invalid.map((e) => new MeshError(ErrorCode.GRAPHQL_VALIDATION_FAILED, e.message, { nodes: e.nodes })) };
  }
  const principal = principalOf(request.context);
  const expire = () => {
    try {
      onExpired();
    } catch {
      // the adapter's problem; the stream ends either way
    }
  };
  if (isExpired(principal, now())) {
    expire();
    return { errors: [new MeshError(ErrorCode.UNAUTHENTICATED, 'The token has expired.')] };
  }
  const operationHash = hashOf(request.document);
  const resolved = resolveOperation(request.document, request.operationName);
  const operation = resolved instanceof GraphQLError ? null : resolved;
  const decide = () => operation && authorizeOperation({ authSchema, principal, document: request.document, operation, policies });
  const authorization = decide();
  if (!authorization) {
    const error = resolved instanceof GraphQLError ? resolved : operationResolutionError('The operation could not be resolved.');
    auditRefusal(audit, { principal, operationName: request.clientOperationName ?? request.operationName, operationHash, reason: error.message });
    return { errors: [withoutHttpStatus(error)] };
  }
  const operationName = authorization.operation.name?.value;
  const auditedName = request.clientOperationName ?? operationName;
  auditFieldAuth(audit, authorization, { principal, operationName: auditedName, operationHash });
  const rootDenied = (denied: ReadonlyMap<FieldNode, DeniedField>) => deniesRootField({ ...authorization, denied });
  if (authorization.denied.size > 0 && (mode === 'reject' || rootDenied(authorization.denied))) return errorsAt(authorization);

  // Decisions are made again per event, never cached for the life of the subscription.
  const transform = async (result: ExecutionResult): Promise<ScopedResult> => {
    const again = decide();
    const denied = new Map(authorization.denied);
    if (again) for (const [node, field] of again.denied) denied.set(node, field);
    if (again && again.deniedCoordinates.length > 0 && denied.size > authorization.denied.size) {
      auditFieldAuth(audit, { deniedCoordinates: again.deniedCoordinates, allowedGoverned: [] }, { principal, operationName: auditedName, operationHash });
    }
    if (denied.size > authorization.denied.size && (mode === 'reject' || rootDenied(denied))) return { result: errorsAt(authorization, denied), last: true };
    return { result: await replayWithDenials({ authSchema, authorization, denied, variables: request.variables, result }) };
  };
  const readsClaims = Object.keys(policies).length > 0 && reachesPolicy(authSchema, authorization.original);
  const scope: SubscriptionScope = {
    key: JSON.stringify([mode, principal.authenticated, [...principal.scopes].sort(), readsClaims ? [principal.sub ?? null, principal.claims] : null]),
    transform,
    checks: new PrincipalChecks(principal, now, onExpired),
  };
  // Only the authorized operation, under its own name: the executor cannot select another one.
  return subscribe({ ...request, document: authorization.document, operationName, scope });
}

// A dashboard opens the same subscription thousands of times, and the websocket adapter hands every
// client sending the same text one shared document (gateway/http/useGraphqlWs.ts): validating and
// printing it again per client was most of what a connection cost. Both are pure functions of the
// (immutable) document and schema; weak keys let a replaced supergraph or an unused document go.
const validations = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly GraphQLError[]>>();
const hashes = new WeakMap<DocumentNode, string>();

/** `validate(schema, document)`, once per schema and document object. */
function validated(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] {
  let bySchema = validations.get(schema);
  if (!bySchema) validations.set(schema, (bySchema = new WeakMap()));
  let errors = bySchema.get(document);
  if (!errors) bySchema.set(document, (errors = validate(schema, document)));
  return errors;
}

/** The audit's operation hash (sha256 of the printed document), once per document object. */
function hashOf(document: DocumentNode): string {
  let hash = hashes.get(document);
  if (hash === undefined) hashes.set(document, (hash = createHash('sha256').update(print(document)).digest('hex')));
  return hash;
}

/**
 * A client's own per-event checks, made outside `authorizeSubscription` so that what a client keeps for
 * the life of its subscription is its principal, not the closure scope of `transform` (its documents,
 * request and decisions): only the first client's `transform` serves its group. One object per client,
 * its methods shared, rather than two closures and their scope.
 */
class PrincipalChecks implements ClientChecks {
  /** The deadline alone, for the group to compare with its one clock reading per event (isExpired's rule). */
  readonly expiresAtMs: number | undefined;

  constructor(
    private readonly principal: Principal,
    private readonly now: () => number,
    private readonly whenExpired: () => void,
  ) {
    this.expiresAtMs = now === Date.now ? (principal.expiresAt === undefined ? Number.POSITIVE_INFINITY : principal.expiresAt * 1000) : undefined;
  }

  expired(): boolean {
    return isExpired(this.principal, this.now());
  }

  onExpired(): void {
    try {
      this.whenExpired();
    } catch {
      // the adapter's problem; the stream ends either way
    }
  }
}

/** Whether a field of `document` is governed by `@policy` (whose decision may read any claim). */
function reachesPolicy(authSchema: AuthSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(authSchema.schema);
  let found = false;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (found || !parent) return undefined;
        if ((authSchema.requirementOf(parent.name, node.name.value)?.policies.length ?? 0) > 0) found = true;
        return undefined;
      },
    }),
  );
  return found;
}
