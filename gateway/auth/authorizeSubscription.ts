import { MeshError } from '../../core/errors/MeshError.js';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { createHash } from 'node:crypto';
import { GraphQLError, print, validate, type DocumentNode, type ExecutionResult, type FieldNode } from 'graphql';
import { auditFieldAuth, auditRefusal, stderrAuditSink, type AuditSink } from './auditFieldAuth.js';
import type { AuthSchema } from './AuthSchema.js';
import { authorizeOperation, deniedPaths, deniesRootField, type DeniedField, type OperationAuthorization } from './authorizeOperation.js';
import type { PolicyRegistry } from './decideFieldAccess.js';
import { isExpired, principalOf } from './Principal.js';
import { replayWithDenials, unauthorizedFieldError } from './replayWithDenials.js';
import { operationResolutionError, resolveOperation, withoutHttpStatus } from './resolveOperation.js';
import type { FieldAuthMode } from './useFieldAuth.js';

/** A client's subscription as the websocket adapter hands it over. */
export interface SubscriptionAuthRequest {
  document: DocumentNode;
  variables?: Record<string, unknown>;
  operationName?: string;
  /** The connection's context; `context.principal` is the caller. */
  context?: unknown;
}

type Stream = AsyncIterableIterator<ExecutionResult>;

/** Options of `authorizeSubscription`. */
export interface AuthorizeSubscriptionOptions {
  /** The auth view of the supergraph the subscription executor plans with; null fails closed. */
  authSchema: AuthSchema | null;
  request: SubscriptionAuthRequest;
  /** Opens the subscription for the (rewritten) request: the federated subscription executor. */
  subscribe(request: SubscriptionAuthRequest): Promise<Stream | ExecutionResult>;
  /**
   * The caller's token expired: called once, before the stream ends; the adapter closes the connection
   * (graphql-ws close code 4403). A throw is ignored.
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
 * upstream subscription is opened. Every event is checked again: an expired token ends the stream
 * through `onExpired`, and decisions are re-made (a policy may change its mind; a field never re-appears
 * because it was not fetched).
 *
 * Fails closed: a document that does not validate, or whose operation cannot be resolved, is an error
 * result and nothing is opened. The executor gets a document holding only the authorized operation.
 */
export async function authorizeSubscription(options: AuthorizeSubscriptionOptions): Promise<Stream | ExecutionResult> {
  const { authSchema, request, subscribe, onExpired, mode = 'filter', policies = {}, audit = stderrAuditSink, now = Date.now } = options;
  if (!authSchema) return { errors: [new MeshError(ErrorCode.INTERNAL_SERVER_ERROR, 'Authorization is unavailable: the supergraph is not loaded.')] };
  const invalid = validate(authSchema.schema, request.document);
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
  const operationHash = createHash('sha256').update(print(request.document)).digest('hex');
  const resolved = resolveOperation(request.document, request.operationName);
  const operation = resolved instanceof GraphQLError ? null : resolved;
  const decide = () => operation && authorizeOperation({ authSchema, principal, document: request.document, operation, policies });
  const authorization = decide();
  if (!authorization) {
    const error = resolved instanceof GraphQLError ? resolved : operationResolutionError('The operation could not be resolved.');
    auditRefusal(audit, { principal, operationName: request.operationName, operationHash, reason: error.message });
    return { errors: [withoutHttpStatus(error)] };
  }
  const operationName = authorization.operation.name?.value;
  auditFieldAuth(audit, authorization, { principal, operationName, operationHash });
  const rootDenied = (denied: ReadonlyMap<FieldNode, DeniedField>) => deniesRootField({ ...authorization, denied });
  if (authorization.denied.size > 0 && (mode === 'reject' || rootDenied(authorization.denied))) return errorsAt(authorization);

  // Only the authorized operation, under its own name: the executor cannot select another one.
  const opened = await subscribe({ ...request, document: authorization.document, operationName });
  if (!(Symbol.asyncIterator in opened)) return opened;
  const upstream = opened;

  let done = false;
  const finish = async (): Promise<IteratorResult<ExecutionResult>> => {
    if (!done) {
      done = true;
      await upstream.return?.();
    }
    return { done: true, value: undefined };
  };
  const stream: Stream = {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (done) return { done: true, value: undefined };
      const step = await upstream.next();
      if (step.done) {
        done = true;
        return step;
      }
      if (isExpired(principal, now())) {
        expire();
        return finish();
      }
      // Decisions are made again per event, never cached for the life of the subscription.
      const again = decide();
      const denied = new Map(authorization.denied);
      if (again) for (const [node, field] of again.denied) denied.set(node, field);
      if (again && again.deniedCoordinates.length > 0 && denied.size > authorization.denied.size) {
        auditFieldAuth(audit, { deniedCoordinates: again.deniedCoordinates, allowedGoverned: [] }, { principal, operationName, operationHash });
      }
      if (denied.size > authorization.denied.size && (mode === 'reject' || rootDenied(denied))) {
        const value = errorsAt(authorization, denied);
        await finish();
        done = true;
        return { done: false, value };
      }
      return { done: false, value: await replayWithDenials({ authSchema, authorization, denied, variables: request.variables, result: step.value }) };
    },
    return: finish,
    async throw(error) {
      await finish();
      throw error;
    },
  };
  return stream;
}
