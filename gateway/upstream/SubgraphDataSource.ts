import { STATUS_CODES } from 'node:http';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { readsAnswerOnly } from '../../core/apollo/readOnlyAnswer.js';
import { createSubgraphClient, type SubgraphHttp, type SubgraphPostResponse } from './createSubgraphClient.js';
import { encodeRequestBody, isShareableFetch } from './shareInflight.js';

/** Options of a `SubgraphDataSource`. */
export interface SubgraphDataSourceOptions {
  /** The subgraph's (or one replica's) HTTP GraphQL URL. */
  url: string;
  /** The subgraph's name as in the supergraph: selects its timeout and is named in errors. */
  serviceName: string;
  /**
   * The client that sends the requests: the gateway's `SubgraphClient` (pooled, with its timeouts and the
   * operation's deadline).
   * @default a client with DEFAULT_SUBGRAPH_CLIENT_CONFIG shared by every data source built without one
   */
  http?: SubgraphHttp;
}

type Answer = Awaited<ReturnType<GraphQLDataSource['process']>>;

let sharedHttp: SubgraphHttp | undefined;

/**
 * @apollo/gateway's data source for one subgraph URL over the gateway's pooled client, in place of
 * `RemoteGraphQLDataSource` (make-fetch-happen, an unbounded agent, no timeout, a stack trace per
 * request). It answers the way `RemoteGraphQLDataSource` does, so the rest of the gateway cannot tell:
 * the subgraph's JSON body; for an HTTP error status a GraphQLError `"<status>: <text>"` with
 * `extensions.response` (`status`, `body`; `UNAUTHENTICATED`/`FORBIDDEN` for 401/403); an Error for a
 * body that is not a JSON object. Subclasses add headers in `willSendRequest` (the signed identity, trace
 * context), as with `RemoteGraphQLDataSource`. Subgraph `Cache-Control` headers are not read.
 */
export class SubgraphDataSource<TContext extends Record<string, unknown> = Record<string, unknown>> implements GraphQLDataSource<TContext> {
  readonly url: string;
  readonly serviceName: string;
  private readonly http: SubgraphHttp;

  constructor({ url, serviceName, http }: SubgraphDataSourceOptions) {
    this.url = url;
    this.serviceName = serviceName;
    this.http = http ?? (sharedHttp ??= createSubgraphClient());
  }

  /** Called before each request with `request.http.headers` ready to be set. @default no change */
  protected willSendRequest(_options: GraphQLDataSourceProcessOptions<TContext>): void | Promise<void> {}

  async process(options: GraphQLDataSourceProcessOptions<TContext>): Promise<Answer> {
    const { request } = options;
    const headers = new Headers(request.http ? [...request.http.headers] : undefined);
    headers.set('content-type', 'application/json');
    request.http = { method: 'POST', url: this.url, headers };
    const hook = this.willSendRequest(options);
    if (hook) await hook;
    const { http: _http, query, ...others } = request;
    if (!query) throw new Error('Missing query');
    const { body, parts } = encodeRequestBody(query, others);
    const response = await this.http.post({
      serviceName: this.serviceName,
      url: this.url,
      body,
      bodyParts: parts,
      headers: Object.fromEntries(headers),
      context: options.context,
      shareable: isShareableFetch(options),
    });
    if (response.status < 200 || response.status > 299) throw this.errorFromResponse(response);
    const answer = readsAnswerOnly(options) ? parsedOnce(response) : parseBody(response);
    if (answer === null || typeof answer !== 'object' || Array.isArray(answer))
      throw new Error(`Expected JSON response body, but received: ${response.text.slice(0, 200)}`);
    return answer;
  }

  private errorFromResponse(response: SubgraphPostResponse): GraphQLError {
    const { status } = response;
    const statusText = STATUS_CODES[status] ?? '';
    let body: unknown;
    try {
      body = parseBody(response);
    } catch {
      body = response.text;
    }
    const code = status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : undefined;
    return new GraphQLError(`${status}: ${statusText}`, {
      extensions: { ...(code && { code }), response: { url: this.url, status, statusText, body } },
    });
  }
}

// Answers parsed for the callers that only read them (core/apollo/readOnlyAnswer.ts): a response shared
// by concurrent operations (shareInflight.ts) is one object for all of them, so it is parsed once.
const parsed = new WeakMap<SubgraphPostResponse, unknown>();
function parsedOnce(response: SubgraphPostResponse): unknown {
  if (parsed.has(response)) return parsed.get(response);
  const answer = parseBody(response);
  parsed.set(response, answer);
  return answer;
}

/** A JSON body (`application/json` or `application/graphql-response+json`) parsed; any other as text. */
function parseBody({ headers, text }: SubgraphPostResponse): unknown {
  const type = headers['content-type'];
  return typeof type === 'string' && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) ? JSON.parse(text) : text;
}
