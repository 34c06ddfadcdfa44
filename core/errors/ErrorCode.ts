/**
 * Every `extensions.code` (GraphQL) and `error.code` (HTTP JSON) the mesh answers with: public contract,
 * one vocabulary for the gateway, the subgraphs and the simulator. Where Apollo Router or Apollo Server
 * has a code for the same situation we use it, so clients written against them handle ours unchanged.
 * The HTTP status and websocket close code of each are decided in `statusOf.ts`; README.md
 * "Errors and status codes" documents them all.
 */
export const ErrorCode = {
  // Requests that cannot be read or run.
  /** The request body is not valid JSON or UTF-8, or the request cannot be run as sent. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The document does not parse, or has more lexical tokens than allowed. */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  /** The document does not validate against the API schema (unknown field, wrong argument, ...). */
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  /** An argument or variable is wrong (range, time zone, type, unknown dimension, ...). */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** No operation, several without a name, or an operation name that is not in the document. */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  /** An event failed validation; the reason names the field. */
  BAD_EVENT: 'BAD_EVENT',
  /** The JSON body nests deeper than allowed. */
  JSON_TOO_DEEP: 'JSON_TOO_DEEP',
  /** The body, or the number of events in a batch, is over the limit. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The body's encoding or charset is not supported. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** None of the media types the request's `Accept` allows is one the route answers in; the message lists those. */
  NOT_ACCEPTABLE: 'NOT_ACCEPTABLE',
  /** No such route. */
  NOT_FOUND: 'NOT_FOUND',
  // Who is calling.
  /** No valid token where one is needed: malformed, wrongly signed, expired, for someone else, or absent. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** A valid token that lacks the needed scope (a producer without `<domain>:write`, an admin route). */
  FORBIDDEN: 'FORBIDDEN',
  /** The caller may not see this field (or the type it returns); the field is `null` at `path`. */
  UNAUTHORIZED_FIELD_OR_TYPE: 'UNAUTHORIZED_FIELD_OR_TYPE',
  // Operation limits.
  /** Fields nest deeper than allowed. */
  MAX_DEPTH_LIMIT: 'MAX_DEPTH_LIMIT',
  /** More aliased fields than allowed (counted with fragments expanded). */
  MAX_ALIASES_LIMIT: 'MAX_ALIASES_LIMIT',
  /** More root fields than allowed (counted with fragments expanded). */
  MAX_ROOT_FIELDS_LIMIT: 'MAX_ROOT_FIELDS_LIMIT',
  /** More selections than allowed once every fragment spread is expanded. */
  MAX_RECURSIVE_SELECTIONS_EXCEEDED: 'MAX_RECURSIVE_SELECTIONS_EXCEEDED',
  /** The estimated cost (list sizes and history bucket counts weighed in) is over the limit. */
  COST_ESTIMATED_TOO_EXPENSIVE: 'COST_ESTIMATED_TOO_EXPENSIVE',
  /** Safelist mode: the operation is not registered as a trusted document. */
  PERSISTED_QUERY_NOT_IN_LIST: 'PERSISTED_QUERY_NOT_IN_LIST',
  /** The document id is not known (not registered, not in the automatic persisted query cache). */
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** The caller has used up its request budget for the current window; retry after `Retry-After`. */
  REQUEST_RATE_LIMITED: 'REQUEST_RATE_LIMITED',
  /** The websocket already runs the maximum number of subscriptions. */
  MAX_SUBSCRIPTIONS_LIMIT: 'MAX_SUBSCRIPTIONS_LIMIT',
  /** A history query would return more buckets or points than allowed, or a SQL port statement more rows. */
  RESULT_TOO_LARGE: 'RESULT_TOO_LARGE',
  // SQL port.
  /** The statement does not parse (PostgreSQL's parser); the message is the parser's, with `position`. */
  SQL_PARSE_FAILED: 'SQL_PARSE_FAILED',
  /** Not one read-only SELECT over the product's own views: a write, DDL, another schema, a table function, a catalog, several statements. */
  SQL_NOT_ALLOWED: 'SQL_NOT_ALLOWED',
  /** The statement names a column the caller may not read; `column` and `requires` say which and why. */
  FORBIDDEN_COLUMN: 'FORBIDDEN_COLUMN',
  /** The database refused the statement (unknown column, wrong types, ...); the message is the database's. */
  SQL_EXECUTION_FAILED: 'SQL_EXECUTION_FAILED',
  /** The statement ran longer than the SQL port's statement timeout. */
  STATEMENT_TIMEOUT: 'STATEMENT_TIMEOUT',
  // Data.
  /** A `from` cursor can no longer be resumed. */
  CURSOR_UNAVAILABLE: 'CURSOR_UNAVAILABLE',
  /** Not fatal: a subscription could not resume where it stopped and goes on with live events; carries `serviceName`. */
  EVENTS_MISSED: 'EVENTS_MISSED',
  /** An admin command named a fact (source + id) that is not stored. */
  FACT_NOT_FOUND: 'FACT_NOT_FOUND',
  /** The simulator's events were refused by a subgraph (401, 403, 413, a 4xx): sending them again would fail again. */
  EVENTS_REFUSED: 'EVENTS_REFUSED',
  // Schema registry.
  /** A published subgraph was refused: it does not compose, breaks clients, or its descriptor lacks an owner; `problems` names each field. */
  SCHEMA_REJECTED: 'SCHEMA_REJECTED',
  /** Another publication of the same subgraph landed first; check again and publish again. */
  VERSION_CONFLICT: 'VERSION_CONFLICT',
  // Our side.
  /** A subgraph reported an error or could not be reached; carries `serviceName`. */
  DOWNSTREAM_SERVICE_ERROR: 'DOWNSTREAM_SERVICE_ERROR',
  /** A subgraph did not answer within its timeout or what was left of the request deadline; carries `serviceName`. */
  GATEWAY_TIMEOUT: 'GATEWAY_TIMEOUT',
  /** The subgraph's circuit breaker is open after repeated failures: not asked until a probe succeeds; carries `serviceName`. */
  CIRCUIT_BREAKER_OPEN: 'CIRCUIT_BREAKER_OPEN',
  /** Something the answer depends on is down for now (supergraph not loaded, token signing keys unreachable). */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  /** The store (or bus) did not answer, or refused the write (a replica whose layout is no longer the shared one); nothing was applied. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** An unexpected failure; the detail is in the server's log, never in the answer. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
