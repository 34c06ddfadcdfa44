import { bucketStartOf, type Granularity } from './timeBuckets.js';

/**
 * The extra span a rolling window of `window` buckets reads before the range: the starts of the
 * `window - 1` whole calendar buckets before the first bucket, then the first bucket's start, then `from`
 * when the range starts inside that bucket. Reading them costs `window - 1` buckets more (plus the clipped
 * head), never a scan of facts. Empty when there is nothing to read.
 */
export function windowBoundaries(firstStart: Date, from: Date, granularity: Granularity, timeZone: string, window: number): Date[] {
  const starts: Date[] = [firstStart];
  for (let k = 1; k < window; k++) starts.unshift(bucketStartOf(new Date(starts[0].getTime() - 1), granularity, timeZone));
  if (firstStart.getTime() < from.getTime()) starts.push(from);
  return starts.length > 1 ? starts : [];
}
