import { GRAIN_MS, type BucketQuery, type BucketRow, type Store, type StoredGrain } from '../store/Store.js';

/** A bucket query without its grain and boundaries, which each part of the range gets its own of. */
export type PartsQuery = Omit<BucketQuery, 'grain' | 'boundaries'> & {
  /**
   * The rollup to read at a grain, where it differs from `rollup`: a projection has no minute rows, so its
   * minute parts are read from its rollup (see `rollups/rollupProjections.ts`).
   * @default `rollup` at every grain
   */
  rollupAt?: Partial<Record<StoredGrain, string>>;
};

const COARSEST_FIRST: readonly StoredGrain[] = ['day', 'hour', 'minute'];

/**
 * Reads rollup rows into the buckets between `boundaries` (minute-aligned, ascending), each part of the
 * range from the coarsest stored grain it aligns to: a "last 30 days" range ending at 14:37 reads whole
 * days from the day table and only its ragged ends from the hour and minute tables, so cost follows the
 * buckets asked for, not the facts behind them. Rows come back indexed by bucket; a bucket read in
 * several parts yields several rows, which the caller merges.
 */
export async function readBucketRows(store: Store, query: PartsQuery, boundaries: readonly Date[]): Promise<BucketRow[]> {
  const rows: BucketRow[] = [];
  await collect(
    store,
    query,
    boundaries.map((b) => b.getTime()),
    0,
    COARSEST_FIRST,
    rows,
  );
  return rows;
}

async function collect(
  store: Store,
  query: PartsQuery,
  points: readonly number[],
  firstBucket: number,
  grains: readonly StoredGrain[],
  rows: BucketRow[],
): Promise<void> {
  const from = points[0];
  const to = points[points.length - 1];
  const interior = points.slice(1, -1);
  const grainIndex = grains.findIndex((g) => interior.every((t) => t % GRAIN_MS[g] === 0));
  const grain = grains[grainIndex] ?? 'minute';
  const size = GRAIN_MS[grain];
  const bodyStart = Math.ceil(from / size) * size;
  const bodyEnd = Math.floor(to / size) * size;
  if (grain === 'minute' || bodyStart >= bodyEnd) {
    if (grain === 'minute') return void rows.push(...(await queryPart(store, query, 'minute', points, firstBucket, interior)));
    return collect(store, query, points, firstBucket, grains.slice(grainIndex + 1), rows);
  }
  // Interior boundaries are aligned to `grain`, so they all lie within [bodyStart, bodyEnd]: the head lies in
  // the first bucket and the tail in the last one.
  const body = [bodyStart, ...interior.filter((t) => t > bodyStart && t < bodyEnd), bodyEnd];
  rows.push(...(await queryPart(store, query, grain, body, firstBucket, interior)));
  const finer = grains.slice(grainIndex + 1);
  if (from < bodyStart) await collect(store, query, [from, bodyStart], firstBucket, finer, rows);
  if (bodyEnd < to) await collect(store, query, [bodyEnd, to], firstBucket + interior.length, finer, rows);
}

/** One store query over `points`, its bucket indices mapped back to the caller's buckets. */
async function queryPart(
  store: Store,
  query: PartsQuery,
  grain: StoredGrain,
  points: readonly number[],
  firstBucket: number,
  interior: readonly number[],
): Promise<BucketRow[]> {
  const { rollupAt, ...bucketQuery } = query;
  const found = await store.queryBuckets({ ...bucketQuery, rollup: rollupAt?.[grain] ?? query.rollup, grain, boundaries: points.map((t) => new Date(t)) });
  // Part j starts at points[j]; it belongs to the caller's bucket that starts at or before it.
  const bucketOf = points.map((start) => firstBucket + interior.filter((t) => t <= start).length);
  return found.map((row) => ({ ...row, bucket: bucketOf[row.bucket] }));
}
