/**
 * The gateway's one HTTP client for subgraphs (docs/architecture.md "Subgraph HTTP client"): an undici
 * keep-alive pool per subgraph origin with a bounded number of connections, a timeout per request
 * bounded by what is left of the client operation's deadline, a circuit breaker per subgraph (opossum)
 * and retries of idempotent fetches with backoff and jitter. Query fetches, subscription entity fetches and readiness
 * probes all go through it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import CircuitBreaker from 'opossum';
import { Pool } from 'undici';
import { exchange, ExchangeTooLarge } from './exchange.js';
import { isConnectionError, withOwnRequest } from '../http/FailoverDataSource.js';
import { CircuitOpenError } from './CircuitOpenError.js';
import { DEFAULT_SUBGRAPH_CLIENT_CONFIG, type SubgraphClientConfig } from './SubgraphClientConfig.js';
import { SubgraphResponseTooLargeError } from './SubgraphResponseTooLargeError.js';
import { SubgraphTimeoutError } from './SubgraphTimeoutError.js';
import { retryWithBackoff } from './retryWithBackoff.js';
import { InflightRequests, sharingKey, type BodyParts, type SharedRequest } from './shareInflight.js';

/** How one subgraph request ended, for metrics. */
export type FetchOutcome = 'ok' | 'http_error' | 'timeout' | 'connection_error' | 'error' | 'circuit_open';

/** A breaker's state as reported to `onBreakerChange`. */
export type BreakerState = 'open' | 'half-open' | 'closed';

/** Options of `createSubgraphClient`. */
export interface SubgraphClientOptions {
  /** Pools, timeouts, deadline, breakers and retries. @default DEFAULT_SUBGRAPH_CLIENT_CONFIG */
  config?: SubgraphClientConfig;
  /**
   * Called after every HTTP request to a subgraph, and for every fetch an open breaker refused
   * (`durationMs` 0), e.g. to feed a latency histogram. A throw is ignored: metrics never fail a fetch.
   * @default none
   */
  onFetch?(serviceName: string, durationMs: number, outcome: FetchOutcome): void;
  /** Called when a subgraph's breaker changes state, e.g. to log it. A throw is ignored. @default none */
  onBreakerChange?(serviceName: string, state: BreakerState): void;
}

/** One POST to a subgraph. */
export interface SubgraphPostRequest {
  /** The subgraph's name: selects its timeout and is named in errors. */
  serviceName: string;
  url: string;
  body: string;
  /**
   * `body` as its document and the rest (shareInflight.ts `encodeRequestBody`): a cheaper sharing key
   * than the whole body. @default none (the body is the key)
   */
  bodyParts?: BodyParts;
  headers: Record<string, string>;
  /**
   * The client operation's context (Apollo's `contextValue`): its deadline, if `plugin` stamped one,
   * bounds the request. @default none (the subgraph's timeout alone)
   */
  context?: unknown;
  /** A shorter timeout than the subgraph's (readiness probes). @default the subgraph's timeout */
  timeoutMs?: number;
  /**
   * The request only reads (a fetch of a client query, shareInflight.ts `isShareableFetch`): it may wait
   * for an identical request in flight instead of being sent again (`SubgraphClientConfig.dedupe`).
   * @default false
   */
  shareable?: boolean;
}

/** A subgraph's answer, read to the end. */
export interface SubgraphPostResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** What a data source needs to send a request: `SubgraphClient` or a stand-in. */
export interface SubgraphHttp {
  /**
   * Sends one request through the subgraph origin's pool. Rejects with `SubgraphTimeoutError` when cut off
   * at the timeout or the deadline, and with the socket's error when the subgraph cannot be reached; an
   * HTTP error status resolves (the caller decides what it means).
   */
  post(request: SubgraphPostRequest): Promise<SubgraphPostResponse>;
}

/** The gateway's subgraph HTTP client. */
export interface SubgraphClient extends SubgraphHttp {
  /**
   * Wraps a subgraph's data source (one replica's, or a `FailoverDataSource` over all of them) with the
   * subgraph's circuit breaker and with retries of queries and entity fetches (never mutations) after a
   * connection failure or an HTTP 503. While the breaker is open, `process` rejects at once with
   * `CircuitOpenError` and no request is sent.
   */
  guard(serviceName: string, dataSource: GraphQLDataSource): GraphQLDataSource;
  /** Subgraphs whose breaker is open or half-open (probing), sorted. */
  openBreakers(): string[];
  /** Apollo Server plugin that starts each operation's deadline when the request arrives. */
  readonly plugin: ApolloServerPlugin;
  /** Starts a deadline for an operation run outside Apollo Server, keyed by its context object. */
  startDeadline(context: object): void;
  /** The deadline (`Date.now()` time) of the operation with this context, if one was started. */
  deadlineOf(context: unknown): number | undefined;
  /**
   * Closes every pool and stops the breakers' timers. Requests still in flight are aborted: the gateway
   * calls this after draining its own HTTP server, and shutdown must not wait for a hanging subgraph.
   */
  close(): Promise<void>;
}

/** Where a URL's requests go: its origin's pool and the path to send. */
interface Target {
  pool: Pool;
  path: string;
}

type Process = GraphQLDataSource['process'];
type Answer = Awaited<ReturnType<Process>>;

/** Fetch documents the gateway may send again: queries (`query …` or `{ … }`), never mutations. */
const QUERY_DOCUMENT = /^\s*(?:query\b|\{)/;

/** HTTP status of an error thrown for a subgraph's error answer (`SubgraphDataSource`, `RemoteGraphQLDataSource`). */
function statusOfError(error: unknown): number | undefined {
  const status = (error as { extensions?: { response?: { status?: unknown } } } | null)?.extensions?.response?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Whether a failed fetch says the subgraph is unwell: counted by its breaker. An over-limit answer is not:
 * its size follows from the client's query, so counting it would let one client open the breaker for
 * everyone (like a 4xx or GraphQL errors, it is an answer to that query).
 */
function isSubgraphFailure(error: unknown): boolean {
  if (error instanceof SubgraphTimeoutError) return error.sent;
  return isConnectionError(error) || (statusOfError(error) ?? 0) >= 500;
}

/** Whether a failed fetch may be sent again: the request never ran (connection failure) or was refused for now (503). */
function isRetryable(error: unknown): boolean {
  return isConnectionError(error) || statusOfError(error) === 503;
}

/** Metrics and log callbacks never fail a fetch. */
function quietly<A extends unknown[]>(callback: ((...args: A) => void) | undefined): (...args: A) => void {
  return (...args) => {
    try {
      callback?.(...args);
    } catch {
      // A metrics or log hook that throws must not turn a good answer into an error.
    }
  };
}

export function createSubgraphClient(options: SubgraphClientOptions = {}): SubgraphClient {
  const { config = DEFAULT_SUBGRAPH_CLIENT_CONFIG } = options;
  const onFetch = quietly(options.onFetch);
  const onBreakerChange = quietly(options.onBreakerChange);
  const { retries, minDelayMs, maxDelayMs } = config.retry;
  const pools = new Map<string, Pool>();
  const targets = new Map<string, Target>();
  const breakers = new Map<string, CircuitBreaker<[() => Promise<Answer>], Answer>>();
  // Keyed by the operation's context object: every fetch of one operation sees the same deadline, and
  // the entry goes with the context.
  const deadlines = new WeakMap<object, number>();
  let closed = false;

  const timeoutOf = (serviceName: string) => config.subgraphs[serviceName]?.timeoutMs ?? config.timeoutMs;

  function targetOf(url: string, serviceName: string): Target {
    let target = targets.get(url);
    if (target) return target;
    const { origin, pathname, search } = new URL(url);
    let pool = pools.get(origin);
    if (!pool) {
      // Origins, not subgraphs, own connections: two subgraphs behind one host:port share its pool, bounded by the first's setting.
      pool = new Pool(origin, { connections: config.subgraphs[serviceName]?.maxSockets ?? config.maxSockets, pipelining: 1 });
      pools.set(origin, pool);
    }
    target = { pool, path: `${pathname}${search}` };
    targets.set(url, target);
    return target;
  }

  function deadlineOf(context: unknown): number | undefined {
    return context !== null && typeof context === 'object' ? deadlines.get(context) : undefined;
  }

  // Identical read-only requests in flight, shared across concurrent operations (shareInflight.ts).
  const inflight = new InflightRequests<SubgraphPostResponse>();

  async function post(request: SubgraphPostRequest): Promise<SubgraphPostResponse> {
    const { serviceName, url, body, headers, context } = request;
    const deadline = deadlineOf(context);
    const limit = request.timeoutMs ?? timeoutOf(serviceName);
    const budget = deadline === undefined ? limit : Math.min(limit, deadline - Date.now());
    if (budget <= 0) {
      onFetch(serviceName, 0, 'timeout');
      throw new SubgraphTimeoutError(serviceName, 0, false);
    }
    if (!config.dedupe || !request.shareable) return send(request, budget);
    // The shared request runs to the subgraph's timeout; each caller stops waiting at its own budget.
    return waitFor(
      inflight.join(sharingKey(url, headers, request.bodyParts ?? body), (signal) => send(request, limit, signal)),
      serviceName,
      budget,
      limit,
    );
  }

  /** Waits for a shared request within `budget`; the last caller to give up aborts it. */
  function waitFor(shared: SharedRequest<SubgraphPostResponse>, serviceName: string, budget: number, limit: number): Promise<SubgraphPostResponse> {
    shared.waiting += 1;
    return new Promise((resolve, reject) => {
      let waiting = true;
      const leave = () => {
        waiting = false;
        shared.waiting -= 1;
        clearTimeout(timer);
      };
      const timer =
        budget < limit
          ? setTimeout(() => {
              if (!waiting) return;
              leave();
              if (shared.waiting === 0 && !shared.settled) shared.abort();
              else onFetch(serviceName, budget, 'timeout');
              reject(new SubgraphTimeoutError(serviceName, budget, true));
            }, budget)
          : undefined;
      shared.answer.then(
        (response) => {
          if (!waiting) return;
          leave();
          resolve(response);
        },
        (error: unknown) => {
          if (!waiting) return;
          leave();
          reject(error);
        },
      );
    });
  }

  /** Sends one request through the origin's pool, cut off at `budget` ms or when `signal` aborts. */
  async function send(request: SubgraphPostRequest, budget: number, signal?: AbortSignal): Promise<SubgraphPostResponse> {
    const { serviceName, url, body, headers } = request;
    const { pool, path } = targetOf(url, serviceName);
    const started = performance.now();
    let cutOff = false;
    try {
      const response = await exchange(pool, { path, method: 'POST', headers, body }, budget, signal, () => void (cutOff = true), config.maxResponseBytes);
      onFetch(serviceName, performance.now() - started, response.status < 400 ? 'ok' : 'http_error');
      return response;
    } catch (error) {
      if (cutOff) {
        onFetch(serviceName, performance.now() - started, 'timeout');
        throw new SubgraphTimeoutError(serviceName, budget, true);
      }
      onFetch(serviceName, performance.now() - started, isConnectionError(error) ? 'connection_error' : 'error');
      if (error instanceof ExchangeTooLarge) throw new SubgraphResponseTooLargeError(serviceName, error.maxBytes);
      throw error;
    }
  }

  function breakerOf(serviceName: string) {
    if (!config.breaker) return undefined;
    let breaker = breakers.get(serviceName);
    if (breaker) return breaker;
    const { errorPercent, minRequests, windowMs, resetMs } = config.breaker;
    breaker = new CircuitBreaker((run: () => Promise<Answer>) => run(), {
      // Timeouts are the pool's (per request, within the deadline), not the breaker's.
      timeout: false,
      errorThresholdPercentage: errorPercent,
      volumeThreshold: minRequests,
      rollingCountTimeout: windowMs,
      rollingCountBuckets: 10,
      resetTimeout: resetMs,
      enableSnapshots: false,
      // True means "not a failure": answers with GraphQL errors, 4xx and requests never sent are the subgraph working.
      errorFilter: (error: unknown) => !isSubgraphFailure(error),
    });
    breaker.on('open', () => onBreakerChange(serviceName, 'open'));
    breaker.on('halfOpen', () => onBreakerChange(serviceName, 'half-open'));
    breaker.on('close', () => onBreakerChange(serviceName, 'closed'));
    breakers.set(serviceName, breaker);
    return breaker;
  }

  function guard(serviceName: string, dataSource: GraphQLDataSource): GraphQLDataSource {
    const breaker = breakerOf(serviceName);
    const send = (options: GraphQLDataSourceProcessOptions): Promise<Answer> => {
      if (retries === 0 || !QUERY_DOCUMENT.test(options.request.query ?? '')) return dataSource.process(options);
      return retryWithBackoff(() => dataSource.process(withOwnRequest(options)), {
        retries,
        minDelayMs,
        maxDelayMs,
        // Within the deadline: a retry that could not start before it ends is not tried.
        shouldRetry: (error, delayMs) => isRetryable(error) && (deadlineOf(options.context) ?? Infinity) - Date.now() > delayMs,
      });
    };
    return {
      process: async (options) => {
        if (!breaker) return send(options);
        try {
          return await breaker.fire(() => send(options));
        } catch (error) {
          if ((error as { code?: unknown }).code !== 'EOPENBREAKER') throw error;
          onFetch(serviceName, 0, 'circuit_open');
          throw new CircuitOpenError(serviceName);
        }
      },
    };
  }

  return {
    post: (request) => (closed ? Promise.reject(new Error('the subgraph client is closed')) : post(request)),
    guard,
    openBreakers: () =>
      [...breakers]
        .filter(([, breaker]) => breaker.opened || breaker.halfOpen)
        .map(([name]) => name)
        .sort(),
    plugin: {
      async requestDidStart({ contextValue }) {
        deadlines.set(contextValue, Date.now() + config.requestDeadlineMs);
      },
    },
    startDeadline: (context) => void deadlines.set(context, Date.now() + config.requestDeadlineMs),
    deadlineOf,
    close: async () => {
      closed = true;
      for (const breaker of breakers.values()) breaker.shutdown();
      await Promise.all([...pools.values()].map((pool) => pool.destroy()));
    },
  };
}
