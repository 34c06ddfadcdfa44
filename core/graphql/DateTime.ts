import { ErrorCode } from '../errors/ErrorCode.js';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isIsoTimestamp } from './isoTimestamp.js';

/**
 * What is wrong with a `DateTime` input, or null when it is an ISO-8601 timestamp with a zone. The gateway
 * checks inputs with it before planning (`gateway/supergraph/checkDateTimeInputs.ts`), each subgraph again
 * when it parses them.
 */
export function dateTimeInputProblem(value: unknown): string | null {
  if (typeof value !== 'string') return `DateTime must be a string, e.g. "2024-05-01T00:00:00Z"; got ${JSON.stringify(value)}`;
  return isIsoTimestamp(value) ? null : `DateTime must be an ISO-8601 timestamp with a zone, e.g. 2024-05-01T00:00:00Z; got ${JSON.stringify(value)}`;
}

/** A `DateTime` input as given, once it is an ISO-8601 timestamp with a zone; else a BAD_USER_INPUT GraphQLError saying why. */
export function checkedDateTimeInput(value: unknown): string {
  const problem = dateTimeInputProblem(value);
  if (problem !== null) throw new GraphQLError(problem, { extensions: { code: ErrorCode.BAD_USER_INPUT } });
  return value as string;
}

function parseIso(value: unknown): Date {
  return new Date(checkedDateTimeInput(value));
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
