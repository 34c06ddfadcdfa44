/**
 * A subgraph that runs as several replicas behind separate URLs (docs/architecture.md "Scale-out"), seen by the
 * gateway as one data source: requests go to the current replica, and when it cannot be reached the
 * request is tried on the next one, which then becomes current. Only connection failures move on (the
 * replica is down or went away); an answer with GraphQL errors, or an HTTP error status, is the
 * subgraph's answer and is returned or thrown as is. Every request the gateway sends a subgraph this way
 * is a query (entity fetches included), so sending it again after a reset connection is safe.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';

export interface FailoverDataSourceOptions {
  /** The replicas' HTTP URLs, at least one. The first is current at start. */
  urls: readonly string[];
  /**
   * Builds the data source for one replica; called once per URL by the constructor (which throws if it
   * throws). Use it to keep per-request behaviour such as signed identity headers.
   * @default (url) => new RemoteGraphQLDataSource({ url })
   */
  buildDataSource?(url: string): GraphQLDataSource;
  /**
   * Hears each move to the next replica: the one that could not be reached, why, and the one requests go
   * to now (a seam for the log: a replica going down is otherwise invisible while the next one answers).
   * @default none
   */
  onFailover?(from: string, to: string, error: unknown): void;
}

/** Error codes of a request that never reached a subgraph, or whose connection broke (Node and undici). */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * True when `error` (or an error it wraps as `cause`) says the subgraph could not be reached:
 * ECONNREFUSED, ECONNRESET and their kin, or undici's bare "fetch failed".
 */
export function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth += 1) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
    if (typeof message === 'string' && /^fetch failed$|socket hang up/.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export class FailoverDataSource implements GraphQLDataSource {
  readonly urls: readonly string[];
  private readonly sources: readonly GraphQLDataSource[];
  private current = 0;
  private readonly onFailover: FailoverDataSourceOptions['onFailover'];

  constructor({ urls, buildDataSource = (url) => new RemoteGraphQLDataSource({ url }), onFailover }: FailoverDataSourceOptions) {
    if (urls.length === 0) throw new Error('FailoverDataSource needs at least one URL');
    this.urls = [...urls];
    this.sources = this.urls.map((url) => buildDataSource(url));
    this.onFailover = onFailover;
  }

  /** The replica requests go to first. */
  get currentUrl(): string {
    return this.urls[this.current];
  }

  async process(options: GraphQLDataSourceProcessOptions): Promise<Awaited<ReturnType<GraphQLDataSource['process']>>> {
    const first = this.current;
    let lastError: unknown;
    for (let attempt = 0; attempt < this.sources.length; attempt += 1) {
      const index = (first + attempt) % this.sources.length;
      try {
        return await this.sources[index].process(withOwnRequest(options));
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        lastError = error;
        // Only the first request to find this replica down moves on: concurrent ones must not skip the next.
        if (this.current === index) {
          this.current = (index + 1) % this.sources.length;
          try {
            this.onFailover?.(this.urls[index], this.urls[this.current], error);
          } catch {
            // a listener must not change the request's fate
          }
        }
      }
    }
    throw lastError;
  }
}

/**
 * A copy of the request per attempt: RemoteGraphQLDataSource rewrites `request.http` in place, copying
 * the headers it finds there, so a second attempt on the same object would send the first one's headers
 * twice (and to the wrong URL if a hook reads it).
 */
export function withOwnRequest(options: GraphQLDataSourceProcessOptions): GraphQLDataSourceProcessOptions {
  const { http } = options.request;
  return { ...options, request: { ...options.request, http: http && { ...http, headers: new Headers([...http.headers]) } } };
}
