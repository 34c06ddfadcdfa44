/**
 * A fixed-bucket latency histogram that load generators fill and the orchestrator merges: 0.1 ms buckets
 * up to 1 s, 10 ms buckets up to 300 s, one overflow bucket. Millions of deliveries cost 30,000 counters.
 */
const FINE = 10_000; // 0.1 ms × 10,000 = 1 s
const COARSE = 29_900; // 10 ms × 29,900 = 299 s on top
export const HISTOGRAM_SIZE = FINE + COARSE + 1;

export function createHistogram(): number[] {
  return new Array<number>(HISTOGRAM_SIZE).fill(0);
}

export function record(histogram: number[], ms: number): void {
  const bucket = ms < 1_000 ? Math.max(0, Math.floor(ms * 10)) : Math.min(FINE + Math.floor((ms - 1_000) / 10), HISTOGRAM_SIZE - 1);
  histogram[bucket] += 1;
}

export function merge(into: number[], from: readonly number[]): number[] {
  for (let i = 0; i < HISTOGRAM_SIZE; i += 1) into[i] += from[i] ?? 0;
  return into;
}

/** The upper edge (ms) of the bucket holding the `p`-th percentile: Infinity past 300 s, NaN without samples. */
export function percentile(histogram: readonly number[], p: number): number {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * total);
  let seen = 0;
  for (let i = 0; i < HISTOGRAM_SIZE; i += 1) {
    seen += histogram[i];
    if (seen >= rank) return i < FINE ? (i + 1) / 10 : i < HISTOGRAM_SIZE - 1 ? 1_000 + (i - FINE + 1) * 10 : Number.POSITIVE_INFINITY;
  }
  return Number.NaN;
}
