import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import type { HttpErrorLog } from './jsonErrorHandler.js';

/** The public message of an unexpected failure. */
export const INTERNAL_ERROR_MESSAGE = 'internal error; the detail is in the subgraph log';

/**
 * Whether an execution error is unexpected: it wraps a plain `Error` (a store, bus or resolver failure)
 * rather than a coded `GraphQLError` the kit or a domain raised on purpose. Its message may name files,
 * hosts or SQL, so clients get `INTERNAL_ERROR_MESSAGE` instead.
 */
export function isUnexpectedError(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return true;
  const original = error.originalError;
  if (!original || original instanceof GraphQLError) return false;
  const code = error.extensions?.code;
  return code === undefined || code === ErrorCode.INTERNAL_SERVER_ERROR;
}

/**
 * Apollo Server `formatError` of a subgraph: never a stack trace (whatever `NODE_ENV` says), and the
 * message of an unexpected error replaced, its detail logged.
 */
export function formatSubgraphError(log: HttpErrorLog) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const { stacktrace: _stack, exception: _exception, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
    if (!isUnexpectedError(error)) return { ...formatted, extensions };
    log(`GraphQL execution failed at ${formatted.path?.join('.') ?? 'the operation'}`, (error as GraphQLError).originalError ?? error);
    return {
      message: INTERNAL_ERROR_MESSAGE,
      ...(formatted.locations && { locations: formatted.locations }),
      ...(formatted.path && { path: formatted.path }),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/** The same masking for errors of a graphql-ws execution result, which Apollo's `formatError` never sees. */
export function maskExecutionErrors(errors: readonly GraphQLError[], log: HttpErrorLog): GraphQLError[] {
  return errors.map((error) => {
    if (!isUnexpectedError(error)) return error;
    log(`subscription execution failed at ${error.path?.join('.') ?? 'the operation'}`, error.originalError ?? error);
    return new GraphQLError(INTERNAL_ERROR_MESSAGE, { nodes: error.nodes, path: error.path, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } });
  });
}
