import { GRAIN_MS, type BucketQuery, type BucketRow, type Store, type StoredGrain } from '../store/Store.js';
import { ZoneDays } from '../store/zoneDays.js';

/** A bucket query without its grain and boundaries, which each part of the range gets its own of. */
export type PartsQuery = Omit<BucketQuery, 'grain' | 'boundaries'> & {
  /**
   * The rollup to read at a grain, where it differs from `rollup`: a projection has no minute rows, so its
   * minute parts are read from its rollup (see `rollups/rollupProjections.ts`).
   * @default `rollup` at every grain
   */
  rollupAt?: Partial<Record<StoredGrain, string>>;
  /**
   * A zone-day table (see `rollups/zoneDayTables.ts`) to read whole local days of `zone` from, before the
   * UTC grains: a Europe/Paris DAY query reads one row per group and local day instead of its hours.
   * @default none: UTC grains only
   */
  zoneDays?: { zone: string; rollup: string };
};

/** A stored table family a part of the range can be read from, with the calendar its buckets follow. */
interface Level {
  grain: StoredGrain;
  rollup: string;
  /** Whether a bucket of this level starts at `t`. */
  aligned(t: number): boolean;
  /** The first bucket start at or after `t` (NaN when unknown), and the last at or before it. */
  ceil(t: number): number;
  floor(t: number): number;
}

const COARSEST_FIRST: readonly StoredGrain[] = ['day', 'hour', 'minute'];

/**
 * Reads rollup rows into the buckets between `boundaries` (minute-aligned, ascending), each part of the
 * range from the coarsest stored grain it aligns to: a "last 30 days" range ending at 14:37 reads whole
 * days from the day table and only its ragged ends from the hour and minute tables, so cost follows the
 * buckets asked for, not the facts behind them. With `zoneDays`, whole local days of that zone come first,
 * from its zone-day table. Rows come back indexed by bucket; a bucket read in several parts yields several
 * rows, which the caller merges.
 */
export async function readBucketRows(store: Store, query: PartsQuery, boundaries: readonly Date[]): Promise<BucketRow[]> {
  const rows: BucketRow[] = [];
  await collect(
    store,
    query,
    boundaries.map((b) => b.getTime()),
    0,
    levels(query),
    rows,
  );
  return rows;
}

function levels(query: PartsQuery): Level[] {
  const utc = COARSEST_FIRST.map((grain): Level => {
    const size = GRAIN_MS[grain];
    return {
      grain,
      rollup: query.rollupAt?.[grain] ?? query.rollup,
      aligned: (t) => t % size === 0,
      ceil: (t) => Math.ceil(t / size) * size,
      floor: (t) => Math.floor(t / size) * size,
    };
  });
  if (!query.zoneDays) return utc;
  const days = ZoneDays.of(query.zoneDays.zone);
  // Outside the window zone-day tables cover, `dayOf` is null: NaN makes the level read nothing there.
  const zoned: Level = {
    grain: 'day',
    rollup: query.zoneDays.rollup,
    aligned: (t) => days.startOf(t) === t,
    ceil: (t) => {
      const day = days.dayOf(t);
      return day === null ? Number.NaN : day.start === t ? t : day.end;
    },
    floor: (t) => days.startOf(t) ?? Number.NaN,
  };
  return [zoned, ...utc];
}

async function collect(
  store: Store,
  query: PartsQuery,
  points: readonly number[],
  firstBucket: number,
  levels: readonly Level[],
  rows: BucketRow[],
): Promise<void> {
  const from = points[0];
  const to = points[points.length - 1];
  const interior = points.slice(1, -1);
  const index = Math.max(
    0,
    levels.findIndex((level) => interior.every(level.aligned)),
  );
  const level = levels[index];
  const finest = index === levels.length - 1;
  const bodyStart = level.ceil(from);
  const bodyEnd = level.floor(to);
  if (finest) return void rows.push(...(await queryPart(store, query, level, points, firstBucket, interior)));
  if (!(bodyStart < bodyEnd)) return collect(store, query, points, firstBucket, levels.slice(index + 1), rows);
  // Interior boundaries are aligned to the level, so they all lie within [bodyStart, bodyEnd]: the head lies in
  // the first bucket and the tail in the last one.
  const body = [bodyStart, ...interior.filter((t) => t > bodyStart && t < bodyEnd), bodyEnd];
  rows.push(...(await queryPart(store, query, level, body, firstBucket, interior)));
  const finer = levels.slice(index + 1);
  if (from < bodyStart) await collect(store, query, [from, bodyStart], firstBucket, finer, rows);
  if (bodyEnd < to) await collect(store, query, [bodyEnd, to], firstBucket + interior.length, finer, rows);
}

/** One store query over `points`, its bucket indices mapped back to the caller's buckets. */
async function queryPart(
  store: Store,
  query: PartsQuery,
  level: Level,
  points: readonly number[],
  firstBucket: number,
  interior: readonly number[],
): Promise<BucketRow[]> {
  const { rollupAt: _rollupAt, zoneDays: _zoneDays, ...bucketQuery } = query;
  const found = await store.queryBuckets({ ...bucketQuery, rollup: level.rollup, grain: level.grain, boundaries: points.map((t) => new Date(t)) });
  // Part j starts at points[j]; it belongs to the caller's bucket that starts at or before it.
  const bucketOf = points.map((start) => firstBucket + interior.filter((t) => t <= start).length);
  return found.map((row) => ({ ...row, bucket: bucketOf[row.bucket] }));
}
