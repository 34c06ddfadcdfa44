/**
 * Sharing of identical in-flight subgraph requests across concurrent client operations (README
 * "Configuration", `MESH_SUBGRAPH_DEDUP`): a request whose URL, headers and body are byte for byte those
 * of a request still waiting for its answer waits for that answer instead of being sent again. The
 * identity travels in a header (the signed gateway token, per subgraph and identity), so requests of two
 * identities never share. Only read-only fetches of query operations are offered for sharing
 * (`isShareableFetch`); each caller gets the answer's text and parses its own copy, since the engine
 * merges answers in place.
 */
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { REQUEST_ID_HEADER } from '../../core/observability/requestContext.js';

/**
 * Headers that differ per request without changing the answer (trace context, the request id for log
 * correlation): left out of the sharing key; a shared request carries its first caller's.
 */
const UNSHARED_HEADERS: ReadonlySet<string> = new Set(['traceparent', 'tracestate', REQUEST_ID_HEADER]);

/** A fetch document that can only read: a single query (`query …` or `{ … }`), no mutation or subscription anywhere in it. */
const QUERY_DOCUMENT = /^\s*(?:query\b|\{)/;
const WRITING_KEYWORD = /\b(?:mutation|subscription)\b/;

/**
 * Whether a data source request may share an in-flight twin: a fetch of a client query operation (never
 * of a mutation, whose later fetches must see its writes), whose own document only reads.
 */
export function isShareableFetch(options: GraphQLDataSourceProcessOptions): boolean {
  if (options.kind !== ('incoming operation' as GraphQLDataSourceProcessOptions['kind'])) return false;
  const incoming = (options as { incomingRequestContext?: { operation?: { operation?: string } } }).incomingRequestContext;
  return incoming?.operation?.operation === 'query' && onlyReads(options.request.query ?? '');
}

// Whether a fetch document only reads, decided once per document text: fetch documents come from query
// plans (a few per operation), and the keyword scan reads the whole text. The cap bounds the pathological case.
const readOnly = new Map<string, boolean>();
function onlyReads(query: string): boolean {
  let reads = readOnly.get(query);
  if (reads === undefined) {
    if (readOnly.size >= 10_000) readOnly.clear();
    readOnly.set(query, (reads = QUERY_DOCUMENT.test(query) && !WRITING_KEYWORD.test(query)));
  }
  return reads;
}

/** The key under which a request is shared: everything sent, but per-request trace headers. */
export function sharingKey(url: string, headers: Readonly<Record<string, string>>, body: string): string {
  // Header names are lower case (from a Headers object) and no URL or header value holds a NUL.
  let key = url;
  for (const name of Object.keys(headers).sort()) if (!UNSHARED_HEADERS.has(name.toLowerCase())) key += `\0${name.toLowerCase()}\0${headers[name]}`;
  return `${key}\0\0${body}`;
}

/** One request in flight and the callers waiting for it. */
export interface SharedRequest<T> {
  readonly answer: Promise<T>;
  /** Callers still waiting; when the last gives up (its own timeout), the request is aborted. */
  waiting: number;
  settled: boolean;
  abort(): void;
}

/** In-flight requests by sharing key; an entry leaves when its answer (or failure) arrives. */
export class InflightRequests<T> {
  private readonly requests = new Map<string, SharedRequest<T>>();

  /** The request in flight under `key`, or the one `start` sends now (then shared until it settles). */
  join(key: string, start: (signal: AbortSignal) => Promise<T>): SharedRequest<T> {
    const known = this.requests.get(key);
    if (known) return known;
    const controller = new AbortController();
    const shared: SharedRequest<T> = { answer: start(controller.signal), waiting: 0, settled: false, abort: () => controller.abort() };
    this.requests.set(key, shared);
    const done = () => {
      shared.settled = true;
      if (this.requests.get(key) === shared) this.requests.delete(key);
    };
    shared.answer.then(done, done);
    return shared;
  }

  /** How many requests are in flight (for tests). */
  get size(): number {
    return this.requests.size;
  }
}
