import { GraphQLError } from 'graphql';

/**
 * Error codes that are public contract of a data product subgraph (GraphQL `extensions.code`, HTTP
 * `error.code`). Gateway codes live in the gateway.
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
  /** An admin command named a fact (source + id) that is not stored. */
  FACT_NOT_FOUND: 'FACT_NOT_FOUND',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A GraphQL error for a bad argument, with its code. */
export function badInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, ...(argument ? { argument } : {}) } });
}
