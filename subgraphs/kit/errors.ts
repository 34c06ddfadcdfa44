import { GraphQLError } from 'graphql';

/**
 * Error codes that are public contract of a data product subgraph (GraphQL `extensions.code`, HTTP
 * `error.code`). Gateway codes live in the gateway. The HTTP status of each code is `httpStatusOf`.
 */
export const ErrorCode = {
  /** An event failed validation; the reason names the field. */
  BAD_EVENT: 'BAD_EVENT',
  /** A query argument is wrong (range, time zone, unknown dimension...). */
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  /** The query would return more buckets or points than allowed. */
  RESULT_TOO_LARGE: 'RESULT_TOO_LARGE',
  /** A `from` cursor can no longer be resumed. */
  CURSOR_UNAVAILABLE: 'CURSOR_UNAVAILABLE',
  /** The caller lacks the gateway's signed identity or the needed scope. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  /** The caller identity lacks what the SDL's @authenticated / @requiresScopes / @policy demand (the field is null). */
  UNAUTHORIZED_FIELD_OR_TYPE: 'UNAUTHORIZED_FIELD_OR_TYPE',
  /** The request body is not valid JSON, or not well-formed UTF-8 text. Permanent: do not retry as is. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The JSON body nests deeper than allowed. Permanent. */
  JSON_TOO_DEEP: 'JSON_TOO_DEEP',
  /** The body, or the number of events in a batch, is over the limit. Permanent. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The body's encoding or charset is not supported. */
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** No such route. */
  NOT_FOUND: 'NOT_FOUND',
  /** The store (or bus) did not answer; nothing was applied. Retrying later can help. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** An unexpected failure; the detail is in the subgraph's log, never in the answer. */
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
  /** An admin command named a fact (source + id) that is not stored. */
  FACT_NOT_FOUND: 'FACT_NOT_FOUND',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The one mapping from a public code to its HTTP status. 4xx codes are permanent (the same request will
 * fail again); 503 is the only status that tells a producer to retry.
 */
const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_EVENT: 400,
  BAD_USER_INPUT: 400,
  BAD_REQUEST: 400,
  JSON_TOO_DEEP: 400,
  RESULT_TOO_LARGE: 400,
  CURSOR_UNAVAILABLE: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  UNAUTHORIZED_FIELD_OR_TYPE: 403,
  NOT_FOUND: 404,
  FACT_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL_SERVER_ERROR: 500,
  STORE_UNAVAILABLE: 503,
};

/** HTTP status of a public error code (500 for a code this kit does not define). */
export function httpStatusOf(code: string): number {
  return HTTP_STATUS[code as ErrorCode] ?? 500;
}

/** A coded error of the kit's HTTP endpoints: its code decides the status; its message is public. */
export class KitError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Dotted path of the offending field, when one field is at fault. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'KitError';
  }

  get status(): number {
    return httpStatusOf(this.code);
  }
}

/** A GraphQL error for a bad argument, with its code. */
export function badInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(argument ? { argument } : {}) } });
}
