/**
 * Normalises whatever the graphql-ws client reports when an upstream subscription fails into GraphQL
 * errors a client can read: the subgraph's own errors (an `error` message), a close event after
 * reconnects were exhausted or refused, or a connection error. Each carries `serviceName` and a code.
 */
import type { GraphQLDataSource } from '@apollo/gateway';
import { GraphQLError, Kind, parse, type GraphQLFormattedError, type SelectionSetNode } from 'graphql';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { MeshError } from '../../core/errors/MeshError.js';
import { isConnectionError } from '../http/FailoverDataSource.js';
import { maskInternalDetails, publicSubgraphError, type PublicErrorLog } from '../errors/formatPublicError.js';

/** Where the detail behind a masked upstream error goes: the gateway's stderr, as its other lines. */
const defaultLog: PublicErrorLog = (level, message) => console.error(`${new Date().toISOString()} gateway ${level}: ${message}`);

/** What a subgraph's refusal of the gateway's identity (401/403, close 4401/4403) usually means, for the log. */
const IDENTITY_HINT = "; it does not accept the gateway's identity (is it in MESH_TRUSTED_SUBGRAPHS, with the same MESH_GATEWAY_SECRET?)";

function isCloseEvent(reason: unknown): reason is { code: number; reason: string } {
  return typeof reason === 'object' && reason !== null && 'code' in reason && 'reason' in reason;
}

/**
 * Clients learn which subgraph failed and how (code, `serviceName`), never its address, stack or close
 * reason: that detail is logged.
 */
export function toUpstreamErrors(serviceName: string, reason: unknown, log: PublicErrorLog = defaultLog): GraphQLError[] {
  const extensions = { code: ErrorCode.DOWNSTREAM_SERVICE_ERROR, serviceName };
  if (Array.isArray(reason)) {
    if (reason.length === 0) {
      return [new GraphQLError(`Subgraph "${serviceName}" answered the subscription without data.`, { extensions })];
    }
    return (reason as GraphQLFormattedError[]).map((error) => publicSubgraphError(serviceName, error, ErrorCode.DOWNSTREAM_SERVICE_ERROR));
  }
  if (isCloseEvent(reason)) {
    const detail = `close ${reason.code}${reason.reason ? ` (${reason.reason})` : ''}`;
    if (reason.code === 4401 || reason.code === 4403) {
      // The subgraph refused the gateway's identity at connect: a configuration problem, said so in the log.
      log('warn', `subgraph ${serviceName} refused the gateway's subscription: ${detail}${IDENTITY_HINT}`);
      return [new GraphQLError(`Subgraph "${serviceName}" refused the subscription (code ${reason.code}).`, { extensions })];
    }
    log('warn', `subscription to subgraph ${serviceName} ended: ${detail}`);
    return [new GraphQLError(`Subscription to subgraph "${serviceName}" ended: connection closed (code ${reason.code}).`, { extensions })];
  }
  const message = reason instanceof Error || (typeof reason === 'object' && reason !== null && 'message' in reason) ? String(reason.message) : String(reason);
  log('warn', `subgraph ${serviceName} is unreachable: ${message || 'connection failed'}`);
  return [new GraphQLError(`Subgraph "${serviceName}" is unreachable.`, { extensions })];
}

/**
 * The one error a client gets when its subscription could not resume from the last cursor (the subgraph
 * answered CURSOR_UNAVAILABLE) and went on live: events between the drop and now may be missing.
 */
export function eventsMissedError(serviceName: string, reason: unknown): GraphQLError {
  const detail = Array.isArray(reason) ? (reason as GraphQLFormattedError[]).map((error) => error.message).join('; ') : '';
  return new GraphQLError(
    `Some events may have been missed: subgraph "${serviceName}" could not resume the subscription` +
      `${detail ? ` (${detail})` : ''}; it continues with live events.`,
    { extensions: { code: ErrorCode.EVENTS_MISSED, serviceName } },
  );
}

/**
 * Wraps a subgraph data source so that a fetch that fails outright (subgraph down, timeout, an answer that
 * is not GraphQL) is answered with GraphQL errors at the fields the fetch was for (`_entities[i].field`
 * or the root fields), coded DOWNSTREAM_SERVICE_ERROR with `serviceName`. @apollo/gateway reports a
 * thrown fetch as a bare error without path or subgraph (INTERNAL_SERVER_ERROR over HTTP), and such an
 * error is not a GraphQLError, so graphql-ws cannot even serialise it into a subscription event.
 *
 * A subgraph that refuses a value the client gave (HTTP 400 with BAD_USER_INPUT errors: a variable of a
 * scalar only it parses) is quoted instead, sanitised, with its code: the client learns what to change,
 * not just that the subgraph "failed to answer". Every failure's detail is logged, the
 * errors of a GraphQL body included (a 401 from a subgraph that does not trust this gateway says why).
 */
export function withLocatedFailures(serviceName: string, dataSource: GraphQLDataSource, log: PublicErrorLog = defaultLog): GraphQLDataSource {
  const located = Object.create(dataSource) as GraphQLDataSource;
  located.process = async (options) => {
    try {
      return await dataSource.process(options);
    } catch (error) {
      // The thrown error names the subgraph's URL (connection refused, raw HTTP response): logged only.
      const detail = error instanceof Error ? error.message : String(error);
      const response = (error as { extensions?: { response?: { status?: unknown; body?: unknown } } }).extensions?.response;
      const status = response?.status;
      const answered = graphqlErrorsOf(response?.body);
      const said = answered.length ? ` (${answered.map((e) => e.message).join('; ')})` : '';
      log('warn', `subgraph ${serviceName} failed to answer: ${detail || 'fetch failed'}${said}${status === 401 || status === 403 ? IDENTITY_HINT : ''}`);
      const paths = fetchedPaths(options.request.query, options.request.variables);
      const atFetchedFields = (message: string, extensions: Record<string, unknown>) => ({
        errors: paths.length ? paths.map((path) => ({ message, path, extensions })) : [{ message, extensions }],
      });
      if (status === 400 && answered.length && answered.every((e) => e.extensions?.code === ErrorCode.BAD_USER_INPUT)) {
        // The subgraph refused a value the client gave (a variable of one of its own scalars): what it said
        // is what the client needs, sanitised like any subgraph error, at the fetch's fields. A validation
        // error is not quoted: for a query valid against the API schema it means the subgraph disagrees with
        // its published schema, and its text may name fields clients cannot see.
        const [first] = answered;
        const { extensions } = publicSubgraphError(serviceName, first, ErrorCode.DOWNSTREAM_SERVICE_ERROR);
        return atFetchedFields(maskInternalDetails(answered.map((e) => e.message).join('; ')), extensions);
      }
      // The subgraph client's own failures (timeout, open breaker) are public already, with their code.
      const coded = error instanceof MeshError && error.details.serviceName === serviceName ? error : undefined;
      const message = coded
        ? coded.message
        : typeof status === 'number'
          ? `Subgraph "${serviceName}" failed to answer (HTTP ${status}).`
          : isConnectionError(error)
            ? `Subgraph "${serviceName}" is unreachable.`
            : `Subgraph "${serviceName}" failed to answer.`;
      return atFetchedFields(message, { code: coded?.code ?? ErrorCode.DOWNSTREAM_SERVICE_ERROR, serviceName });
    }
  };
  return located;
}

/** The errors of a GraphQL response body (an object with an `errors` list of objects with a message); else none. */
function graphqlErrorsOf(body: unknown): GraphQLFormattedError[] {
  const errors = typeof body === 'object' && body !== null ? (body as { errors?: unknown }).errors : undefined;
  if (!Array.isArray(errors)) return [];
  return errors.filter((e): e is GraphQLFormattedError => typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string');
}

/** Response paths a fetch would have filled: each entity's selected fields, or the root fields. */
function fetchedPaths(query: string | undefined, variables: Record<string, unknown> | undefined): Array<Array<string | number>> {
  let document;
  try {
    document = parse(query ?? '');
  } catch {
    return [];
  }
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return [];
  const paths: Array<Array<string | number>> = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || selection.name.value === '__typename') continue;
    const representations = variables?.representations;
    if (selection.name.value === '_entities' && Array.isArray(representations) && selection.selectionSet) {
      const entities = selection.selectionSet;
      representations.forEach((representation, index) => {
        const typename = (representation as { __typename?: unknown } | null)?.__typename;
        for (const field of responseNames(entities, typeof typename === 'string' ? typename : undefined))
          paths.push([selection.alias?.value ?? '_entities', index, field]);
      });
    } else {
      paths.push([selection.alias?.value ?? selection.name.value]);
    }
  }
  return paths;
}

function responseNames(selectionSet: SelectionSetNode, typename: string | undefined): string[] {
  const names = new Set<string>();
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD && selection.name.value !== '__typename') names.add(selection.alias?.value ?? selection.name.value);
    if (selection.kind === Kind.INLINE_FRAGMENT && (!selection.typeCondition || selection.typeCondition.name.value === typename)) {
      for (const name of responseNames(selection.selectionSet, typename)) names.add(name);
    }
  }
  return [...names];
}
