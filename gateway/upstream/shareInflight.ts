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

/**
 * A request body as the two parts that identify it, for the sharing key: its query document (for a
 * fetch of a plan step the same string every time, whose hash V8 keeps, so a lookup does not read it
 * again) and everything else (variables, representations, operation name).
 */
export interface BodyParts {
  readonly document: string;
  readonly rest: string;
}

/** JSON-quoted query documents by document: a plan step's document is quoted once, not per fetch. */
const quoted = new Map<string, string>();
function quote(document: string): string {
  let text = quoted.get(document);
  if (text === undefined) {
    if (quoted.size >= 10_000) quoted.clear();
    quoted.set(document, (text = JSON.stringify(document)));
  }
  return text;
}

/**
 * A GraphQL request's JSON body with its parts for the sharing key: what `JSON.stringify({ query, ...others })`
 * sends (key order means nothing in JSON), the query quoted once per document.
 */
export function encodeRequestBody(query: string, others: Readonly<Record<string, unknown>>): { body: string; parts: BodyParts } {
  const rest = JSON.stringify(others);
  const head = `{"query":${quote(query)}`;
  return { body: rest === '{}' ? `${head}}` : `${head},${rest.slice(1)}`, parts: { document: query, rest } };
}

/**
 * The key under which a request is shared: everything sent, but per-request trace headers, as levels of
 * a tree of Maps (`InflightRequests`): the document, then URL and headers, then the rest of the body. A
 * body given whole is its own last level (under an empty document).
 */
export function sharingKey(url: string, headers: Readonly<Record<string, string>>, body: string | BodyParts): readonly [string, string, string] {
  // Header names are lower case (from a Headers object) and no URL or header value holds a NUL.
  let target = url;
  for (const name of Object.keys(headers).sort()) if (!UNSHARED_HEADERS.has(name.toLowerCase())) target += `\0${name.toLowerCase()}\0${headers[name]}`;
  return typeof body === 'string' ? ['', target, body] : [body.document, target, body.rest];
}

/** One request in flight and the callers waiting for it. */
export interface SharedRequest<T> {
  readonly answer: Promise<T>;
  /** Callers still waiting; when the last gives up (its own timeout), the request is aborted. */
  waiting: number;
  settled: boolean;
  abort(): void;
}

type Level<T> = Map<string, Map<string, Map<string, SharedRequest<T>>>>;

/**
 * In-flight requests by sharing key; an entry leaves when its answer (or failure) arrives. Keyed level by
 * level: a flat key would be a new string of several KB per fetch, hashed whole on every lookup.
 */
export class InflightRequests<T> {
  private readonly requests: Level<T> = new Map();
  private count = 0;

  /** The request in flight under `key`, or the one `start` sends now (then shared until it settles). */
  join(key: readonly [string, string, string], start: (signal: AbortSignal) => Promise<T>): SharedRequest<T> {
    const [document, target, rest] = key;
    let byTarget = this.requests.get(document);
    let byRest = byTarget?.get(target);
    const known = byRest?.get(rest);
    if (known) return known;
    if (!byTarget) this.requests.set(document, (byTarget = new Map<string, Map<string, SharedRequest<T>>>()));
    if (!byRest) byTarget.set(target, (byRest = new Map<string, SharedRequest<T>>()));
    const controller = new AbortController();
    const shared: SharedRequest<T> = { answer: start(controller.signal), waiting: 0, settled: false, abort: () => controller.abort() };
    byRest.set(rest, shared);
    this.count += 1;
    const level = byRest;
    const done = () => {
      shared.settled = true;
      if (level.get(rest) !== shared) return;
      level.delete(rest);
      this.count -= 1;
      if (level.size > 0) return;
      const targets = this.requests.get(document);
      if (targets?.get(target) !== level) return;
      targets.delete(target);
      if (targets.size === 0) this.requests.delete(document);
    };
    shared.answer.then(done, done);
    return shared;
  }

  /** How many requests are in flight (for tests). */
  get size(): number {
    return this.count;
  }
}
