/**
 * A small closed-loop HTTP load generator over undici: `connections` sockets, each sending the next
 * request as soon as the previous answer's body is read, for `durationMs`. Records every latency (for
 * exact percentiles) and counts non-200 answers as errors.
 */
import { Pool } from 'undici';

export interface LoadOptions {
  /** The GraphQL endpoint. */
  url: string;
  /** The JSON request body, sent as is every time. */
  body: string;
  /** Extra request headers (e.g. `authorization`). @default none */
  headers?: Record<string, string>;
  /** Concurrent connections, each with one request in flight. */
  connections: number;
  /** How long to load. */
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  elapsedMs: number;
  /** Latencies in ms, sorted ascending. */
  latencies: Float64Array;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { url, body, headers = {}, connections, durationMs } = options;
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const requestHeaders = { 'content-type': 'application/json', ...headers };
  const worker = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      try {
        const response = await pool.request({ path: target.pathname, method: 'POST', headers: requestHeaders, body });
        await response.body.arrayBuffer();
        if (response.statusCode !== 200) errors += 1;
      } catch {
        errors += 1;
      }
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsedMs = performance.now() - started;
  await pool.close();
  return { requests: latencies.length, errors, elapsedMs, latencies: Float64Array.from(latencies).sort() };
}

/** The `p`-th percentile (0–100) of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
