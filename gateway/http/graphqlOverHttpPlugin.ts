import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, OperationTypeNode } from 'graphql';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { httpStatusOf } from '../../core/errors/statusOf.js';

const JSON_TYPE = 'application/json';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json';

/** Request errors of a well-formed request: the document does not parse or validate, or its variables do not coerce. */
const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

/**
 * graphql-js reports the token limit (`parseOptions.maxTokens`, see gateway/limits/) as a syntax error;
 * it is a limit refusal like the others, which keep their 400.
 */
// graphql-js 16 spells it "more that".
const TOKEN_LIMIT = /Document contains more tha[nt] \d+ tokens/;

/** Whether an error is a request error a legacy `application/json` client gets with 200. */
const isRequestError = (error: { message: string; extensions?: Record<string, unknown> }) =>
  REQUEST_ERROR_CODES.has(String(error.extensions?.code)) && !TOKEN_LIMIT.test(error.message);

/**
 * The media type a single result is sent as, negotiated like Apollo Server does: the preferred of
 * `application/json` and `application/graphql-response+json` in `Accept` (by q, then by order), JSON
 * without a header or for wildcards only; null when neither is accepted (Apollo then answers 406).
 */
export function negotiateResponseType(accept: string | undefined): typeof JSON_TYPE | typeof GRAPHQL_RESPONSE_TYPE | null {
  if (!accept?.trim()) return JSON_TYPE;
  let best: { type: typeof JSON_TYPE | typeof GRAPHQL_RESPONSE_TYPE; q: number; exact: boolean } | null = null;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    const candidates =
      range === JSON_TYPE || range === '*/*' || range === 'application/*' ? [JSON_TYPE] : range === GRAPHQL_RESPONSE_TYPE ? [GRAPHQL_RESPONSE_TYPE] : [];
    for (const type of candidates as Array<typeof JSON_TYPE | typeof GRAPHQL_RESPONSE_TYPE>) {
      const exact = range === type;
      if (!best || q > best.q || (q === best.q && exact && !best.exact)) best = { type, q, exact };
    }
  }
  return best?.type ?? null;
}

/**
 * GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): a client that accepts
 * `application/graphql-response+json` gets that media type and a 4xx for a request that does not parse,
 * validate or coerce its variables; a client speaking `application/json` gets 200 for those (the spec's
 * "SHOULD use 200" for the legacy media type, since intermediaries may replace 4xx bodies). Apollo
 * Server answers 400 to both. Other statuses (401, 429, 503, limits) are kept. A subscription over HTTP is
 * refused with 400 BAD_REQUEST pointing to the websocket transport.
 */
export function graphqlOverHttpPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart({ request }) {
      return {
        // Subscriptions are served over websockets (graphql-ws) on the same path; over HTTP @apollo/gateway
        // would fail them as an internal error (500). Refused before planning, with the way to go instead.
        async didResolveOperation({ operation, schema }) {
          // (A schema without subscriptions keeps graphql's own error for one.)
          if (request.http && operation?.operation === OperationTypeNode.SUBSCRIPTION && schema.getSubscriptionType())
            throw new GraphQLError('subscriptions are served over websockets: connect with graphql-ws (subprotocol graphql-transport-ws) to this path', {
              extensions: { code: ErrorCode.BAD_REQUEST, http: { status: httpStatusOf(ErrorCode.BAD_REQUEST) } },
            });
        },
        async willSendResponse({ response }) {
          if (!request.http || response.body.kind !== 'single') return;
          const type = negotiateResponseType(request.http.headers.get('accept'));
          if (type !== JSON_TYPE) return;
          const { data, errors = [] } = response.body.singleResult;
          if (response.http.status === 400 && data === undefined && errors.length && errors.every(isRequestError)) response.http.status = 200;
        },
      };
    },
  };
}
