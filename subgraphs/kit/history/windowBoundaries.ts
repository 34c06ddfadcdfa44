import { planBuckets, type Granularity } from './timeBuckets.js';

/** Longest a bucket can last in real time, with room for DST (a 25-hour day, a 31-day month plus an hour). */
const LONGEST_MS: Record<Granularity, number> = {
  MINUTE: 60_000,
  HOUR: 2 * 3_600_000,
  DAY: 26 * 3_600_000,
  WEEK: 7 * 86_400_000 + 2 * 3_600_000,
  MONTH: 31 * 86_400_000 + 2 * 3_600_000,
};

/**
 * The extra span a rolling window of `window` buckets reads before the range: the starts of the
 * `window - 1` whole calendar buckets before the first bucket, then the first bucket's start, then `from`
 * when the range starts inside that bucket. Reading them costs `window - 1` buckets more (plus the clipped
 * head), never a scan of facts. Empty when there is nothing to read.
 */
export function windowBoundaries(firstStart: Date, from: Date, granularity: Granularity, timeZone: string, window: number): Date[] {
  const starts: Date[] = [firstStart];
  if (window > 1) {
    // One bucket plan over a stretch surely holding `window - 1` buckets, of which the last ones are kept:
    // stepping back bucket by bucket would cost a zone lookup per bucket.
    const lo = new Date(firstStart.getTime() - (window - 1) * LONGEST_MS[granularity]);
    const plan = planBuckets({ from: lo, to: firstStart, granularity, timeZone, maxBuckets: 2 * window + 2 });
    starts.unshift(...plan.starts.slice(-(window - 1)));
  }
  if (firstStart.getTime() < from.getTime()) starts.push(from);
  return starts.length > 1 ? starts : [];
}
