import { GraphQLError } from 'graphql';

/**
 * `extensions.code` values of the operation limits: public contract. Where Apollo Router or Apollo
 * Server has a code for the same refusal we use it, so clients written against them handle ours
 * unchanged.
 */
export const LimitErrorCode = {
  /** The document has more lexical tokens than allowed (Apollo Server's parser limit code). */
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
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
  /** The principal has used up its request budget for the current window; retry after `Retry-After`. */
  REQUEST_RATE_LIMITED: 'REQUEST_RATE_LIMITED',
  /** The HTTP body is larger than allowed (HTTP 413). */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The websocket already runs the maximum number of subscriptions. */
  MAX_SUBSCRIPTIONS_LIMIT: 'MAX_SUBSCRIPTIONS_LIMIT',
} as const;

export type LimitErrorCode = (typeof LimitErrorCode)[keyof typeof LimitErrorCode];

/** The HTTP status of each refusal (GraphQL-over-HTTP: a refused document is a 400). */
const STATUS: Record<LimitErrorCode, number> = {
  GRAPHQL_PARSE_FAILED: 400,
  MAX_DEPTH_LIMIT: 400,
  MAX_ALIASES_LIMIT: 400,
  MAX_ROOT_FIELDS_LIMIT: 400,
  MAX_RECURSIVE_SELECTIONS_EXCEEDED: 400,
  COST_ESTIMATED_TOO_EXPENSIVE: 400,
  PERSISTED_QUERY_NOT_IN_LIST: 400,
  PERSISTED_QUERY_NOT_FOUND: 400,
  REQUEST_RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  MAX_SUBSCRIPTIONS_LIMIT: 400,
};

/** The one way to make a limit error: coded, with its HTTP status (and headers, e.g. Retry-After). */
export function limitError(code: LimitErrorCode, message: string, extra: { headers?: Record<string, string>; details?: Record<string, unknown> } = {}): GraphQLError {
  const headers = new Map(Object.entries(extra.headers ?? {}));
  return new GraphQLError(message, { extensions: { code, ...extra.details, http: { status: STATUS[code], headers } } });
}
