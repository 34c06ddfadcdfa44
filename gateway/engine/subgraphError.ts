import { GraphQLError } from 'graphql';
import { ErrorCode } from '../../core/errors/ErrorCode.js';

/** An error as a subgraph answers it (JSON). */
export interface SubgraphErrorJson {
  message?: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/**
 * A subgraph's error as the client gets it: at `path` in the client's response (or none), with
 * `serviceName`, its own `code` kept, DOWNSTREAM_SERVICE_ERROR when it has none (as @apollo/gateway
 * codes them). formatPublicError (gateway/errors/) strips what is internal afterwards.
 */
export function subgraphError(serviceName: string, error: SubgraphErrorJson, path: ReadonlyArray<string | number> | undefined): GraphQLError {
  const message = error.message || `Error while fetching subquery from service "${serviceName}"`;
  const extensions = { ...error.extensions, code: error.extensions?.code ?? ErrorCode.DOWNSTREAM_SERVICE_ERROR, serviceName };
  return new GraphQLError(message, { path, extensions });
}

/** The error for an entity a subgraph answered `null` for without an error: never a silent null. */
export function missingEntityError(serviceName: string, typename: unknown, path: ReadonlyArray<string | number>): GraphQLError {
  const type = typeof typename === 'string' ? typename : 'entity';
  return new GraphQLError(`Subgraph "${serviceName}" has no ${type} for the key it was asked for.`, {
    path,
    extensions: { code: ErrorCode.DOWNSTREAM_SERVICE_ERROR, serviceName },
  });
}
