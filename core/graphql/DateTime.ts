import { ErrorCode } from '../errors/ErrorCode.js';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isIsoTimestamp } from './isoTimestamp.js';

function parseIso(value: unknown): Date {
  if (!isIsoTimestamp(value)) {
    throw new GraphQLError(`DateTime must be an ISO-8601 timestamp with a zone, e.g. 2024-05-01T00:00:00Z; got ${JSON.stringify(value)}`, {
      extensions: { code: ErrorCode.BAD_USER_INPUT },
    });
  }
  return new Date(value);
}

/**
 * `DateTime` of `schema/shared.graphql`, for every subgraph that declares it (the kit's domains and the
 * gateway's catalog): ISO-8601 with zone in, `Date` inside resolvers, UTC ISO out.
 */
export const DateTime = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An ISO-8601 timestamp with zone, e.g. 2024-05-01T12:00:00Z.',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(date.getTime())) throw new GraphQLError(`DateTime cannot represent ${JSON.stringify(value)}`);
    return date.toISOString();
  },
  parseValue: parseIso,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string', { nodes: [ast] });
    return parseIso(ast.value);
  },
});
