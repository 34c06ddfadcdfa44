/**
 * How the gateway talks HTTP to subgraphs: connection pool bounds, timeouts, the request deadline,
 * circuit breakers and retries (README.md "Configuration", docs/architecture.md "Subgraph HTTP client").
 */
export interface SubgraphClientConfig {
  /**
   * Longest time one subgraph request may take, from queueing for a connection to the last byte of the
   * answer (connect + headers + body). A subgraph that is paused or never answers is cut off here and its
   * fields come back null with `GATEWAY_TIMEOUT` naming it.
   * @default 10_000 (`MESH_SUBGRAPH_TIMEOUT_MS`)
   */
  timeoutMs: number;
  /**
   * Longest time one client operation may spend on subgraph requests, counted from its arrival at the
   * gateway: each fetch gets what is left (and at most `timeoutMs`), so a chain of slow fetches cannot run
   * past it. Each subscription event's entity fetches get a deadline of this length too, from the start of
   * that event's fetches.
   * @default 30_000 (`MESH_REQUEST_DEADLINE_MS`)
   */
  requestDeadlineMs: number;
  /**
   * Most connections open to one subgraph origin at a time; further requests wait in the pool's queue
   * (within their timeout). Keeps thousands of concurrent entity fetches from exhausting file descriptors.
   * @default 64 (`MESH_SUBGRAPH_MAX_SOCKETS`)
   */
  maxSockets: number;
  /**
   * Longest answer the gateway reads from a subgraph, in bytes (by its `content-length`, or as it
   * arrives): a longer one is cut off there and the fetch fails with `DOWNSTREAM_SERVICE_ERROR` naming
   * the subgraph. The gateway applies the same cap to SDL answers (`fetchSubgraphSdl`) and upstream
   * subscription messages (`createUpstreamClient`), so a broken or hostile subgraph cannot run the
   * gateway out of memory. Never retried, and not counted against the subgraph's breaker (a client's
   * query decides the answer's size).
   * @default 67_108_864 (64 MiB, `MESH_SUBGRAPH_MAX_RESPONSE_BYTES`)
   */
  maxResponseBytes: number;
  /** Circuit breaker per subgraph; `false` turns breakers off. @default DEFAULT_BREAKER */
  breaker: BreakerConfig | false;
  /** Retries of failed idempotent fetches (queries and entity fetches, never mutations). */
  retry: RetryConfig;
  /**
   * Share identical in-flight subgraph requests across concurrent client operations: a fetch of a query
   * operation whose URL, headers (the signed identity included, so never across identities) and body
   * equal those of a request still in flight waits for that answer instead of being sent again.
   * Fetches of mutations are never shared. `false` sends every fetch (gateway/upstream/shareInflight.ts).
   * @default true (`MESH_SUBGRAPH_DEDUP=on`)
   */
  dedupe: boolean;
  /**
   * Per-subgraph overrides by subgraph name (e.g. a slow reporting subgraph gets a longer timeout).
   * @default {} (`MESH_SUBGRAPH_TIMEOUTS=name=ms,...`, `MESH_SUBGRAPH_MAX_SOCKETS_BY_NAME=name=n,...`)
   */
  subgraphs: Readonly<Record<string, SubgraphOverrides>>;
}

/** What one subgraph may set differently from the defaults. */
export interface SubgraphOverrides {
  /** @default `SubgraphClientConfig.timeoutMs` */
  timeoutMs?: number;
  /** @default `SubgraphClientConfig.maxSockets` */
  maxSockets?: number;
}

/** When a subgraph's breaker opens, and how it recovers (opossum's rolling-window semantics). */
export interface BreakerConfig {
  /**
   * The breaker opens when more than this percentage of the window's requests failed (connection errors,
   * timeouts, HTTP 5xx; GraphQL errors in an answer and 4xx are answers, not failures).
   * @default 50 (`MESH_BREAKER_ERROR_PERCENT`)
   */
  errorPercent: number;
  /** No opening before this many requests in the window (one failure in two requests is no outage). @default 10 (`MESH_BREAKER_MIN_REQUESTS`) */
  minRequests: number;
  /** The rolling window the percentage is computed over. @default 10_000 (`MESH_BREAKER_WINDOW_MS`) */
  windowMs: number;
  /**
   * How long an open breaker fails fast before it lets one probe request through (half-open): success
   * closes it, failure opens it for another period.
   * @default 5_000 (`MESH_BREAKER_RESET_MS`)
   */
  resetMs: number;
}

/** Retries with exponential backoff and jitter, within the request deadline. */
export interface RetryConfig {
  /** Retries after the first attempt for a connection failure or HTTP 503; 0 turns retries off. @default 2 (`MESH_SUBGRAPH_RETRIES`) */
  retries: number;
  /** Delay before the first retry; doubles each time, times a random factor in [1, 2). @default 25 */
  minDelayMs: number;
  /** Longest delay between two attempts. @default 250 */
  maxDelayMs: number;
}

export const DEFAULT_BREAKER: BreakerConfig = { errorPercent: 50, minRequests: 10, windowMs: 10_000, resetMs: 5_000 };

export const DEFAULT_SUBGRAPH_CLIENT_CONFIG: SubgraphClientConfig = {
  timeoutMs: 10_000,
  requestDeadlineMs: 30_000,
  maxSockets: 64,
  maxResponseBytes: 64 * 1024 * 1024,
  breaker: DEFAULT_BREAKER,
  retry: { retries: 2, minDelayMs: 25, maxDelayMs: 250 },
  dedupe: true,
  subgraphs: {},
};
