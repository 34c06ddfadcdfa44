import type { MeasureKind } from '../productDeclaration.js';
import { badInput } from '../graphql/badInput.js';
import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { GraphQLError } from 'graphql';
import { ISO_TIMESTAMP } from '../../../core/graphql/isoTimestamp.js';
import type { BucketRow, Store } from '../store/Store.js';
import {
  isSketchMeasure,
  layoutColumns,
  measureSketches,
  measureValue,
  measuresValues,
  mergeColumns,
  rollupLayout,
  type ColumnKind,
  type ColumnValue,
} from '../rollups/rollupLayout.js';
import { readBucketRows, type PartsQuery } from './readBucketRows.js';
import { pickProjection } from './pickProjection.js';
import type { RollupProjection } from '../rollups/rollupProjections.js';
import { readSpans } from './readSpans.js';
import { zoneDayTableName } from '../rollups/zoneDayTables.js';
import { canonicalZone } from '../store/zoneDays.js';
import { COMPARE_PERIODS, comparisonBoundaries, type ComparePeriod } from './comparisonBoundaries.js';
import { windowBoundaries } from './windowBoundaries.js';
import { rankGroups, type TopGroups } from './rankGroups.js';
import { BucketLimitError, bucketEndOf, isValidTimeZone, planBuckets, truncateToGrain, type BucketPlan, type Granularity } from './timeBuckets.js';

/** A history request, as the GraphQL arguments give it. */
export interface HistoryRequest {
  /** ISO-8601 timestamps; `from` inclusive, `to` exclusive. */
  range: { from: string | Date; to: string | Date };
  granularity: Granularity;
  /** IANA zone for calendar buckets. @default 'UTC' */
  timeZone?: string | null;
  /** Dimensions to split by; empty or absent: one series. */
  groupBy?: readonly string[] | null;
  /** Keep only facts whose dimension is one of the values. */
  filter?: Record<string, readonly string[] | null | undefined> | null;
  /** Give each bucket and the totals the values of this period (see `comparisonBoundaries.ts`). @default none */
  compareTo?: ComparePeriod | null;
  /** Give each bucket the measures over the last `buckets` buckets, its own included. @default none */
  rolling?: { buckets: number } | null;
  /** Keep only the leading groups, the rest merged into `others`; needs `groupBy`. @default all groups */
  top?: TopGroups | null;
  /**
   * The `distinct` and `percentiles` measures to answer. Each costs a read and a merge of one sketch per
   * stored row, so a resolver passes only those its caller selected; the others are left out of `values`.
   * @default every sketch measure of the rollup
   */
  sketchMeasures?: readonly string[] | null;
}

/** The values of a comparison period: the span read and its measures. */
export interface HistoryComparison {
  start: Date;
  end: Date;
  values: Record<string, number | null>;
}

/** The measures over a rolling window ending at a bucket. */
export interface HistoryWindow {
  /** Buckets in the window. */
  buckets: number;
  /**
   * Measures over the window: moving sums and counts (averages, minima and maxima over the window; distinct
   * counts and percentiles from the merge of the window's sketches).
   */
  values: Record<string, number | null>;
  /** `values` with sums and counts divided by `buckets`: moving averages (other measures as in `values`). */
  average: Record<string, number | null>;
}

/** One bucket: calendar start/end and one value per measure (sums and counts zero-filled). */
export interface HistoryBucket {
  start: Date;
  end: Date;
  /** False when the range cuts the bucket: its values cover only part of [start, end). */
  complete: boolean;
  values: Record<string, number | null>;
  /** Present when the request has `compareTo`. */
  comparison?: HistoryComparison;
  /** Present when the request has `rolling`. */
  window?: HistoryWindow;
}

export interface HistorySeries {
  buckets: HistoryBucket[];
  total: Record<string, number | null>;
  /** The totals of the comparison period, when the request has `compareTo`. */
  comparison?: HistoryComparison;
}

export interface HistoryResult extends HistorySeries {
  /** One series per group when `groupBy` was given: ordered by group key, or by rank with `top`. */
  groups: Array<HistorySeries & { key: Record<string, string> }>;
  /** With `top`: the groups beyond the limit merged into one series, and how many they are; else null. */
  others: (HistorySeries & { groups: number }) | null;
  /** Newest event time applied: the freshness of this answer. */
  asOf: Date | null;
  granularity: Granularity;
  timeZone: string;
}

/** Limits that keep one query's cost bounded. */
export interface HistoryLimits {
  /** Most buckets one series may have (rolling windows count the buckets they read before the range). */
  maxBuckets: number;
  /** Most buckets × groups one answer may have. */
  maxPoints: number;
}

/** The rollup being queried. */
export interface HistoryRollup {
  name: string;
  dimensions: readonly string[];
  measures: Record<string, MeasureKind>;
  /** Its projections (see `rollups/rollupProjections.ts`): a query read from the smallest that covers it. @default none */
  projections?: readonly RollupProjection[];
  /**
   * Zones whose local days it is kept at (`RollupDefinition.dayZones`): a query in one of them reads whole
   * local days from the zone-day table of the relation it reads (see `rollups/zoneDayTables.ts`).
   * @default none
   */
  dayZones?: readonly string[];
}

type Columns = Record<string, ColumnValue>;

/** The raw columns of one series: its buckets, its comparison spans and what its window reads before the range. */
interface SeriesColumns {
  buckets: Columns[];
  comparison: Columns[];
  /** The `window - 1` buckets before the first, then (when the range cuts the first bucket) its cut-off head. */
  before: Columns[];
}

/**
 * Answers a history request from a rollup: plans calendar buckets in the time zone, lets the store
 * aggregate the minute, hour or day table into them (never raw facts; the smallest projection of the rollup
 * that holds the dimensions grouped and filtered on, see `pickProjection`, and its local-day table when the
 * query's zone is one of the rollup's `dayZones`), zero-fills, computes totals and groups,
 * and the comparison period, rolling windows and top groups when asked. Every extra read is a bucket read:
 * cost stays O(buckets).
 */
export async function queryHistory(store: Store, rollup: HistoryRollup, request: HistoryRequest, limits: HistoryLimits): Promise<HistoryResult> {
  const requestedFrom = parseInstant(request.range.from, 'range.from');
  const requestedTo = parseInstant(request.range.to, 'range.to');
  if (requestedFrom.getTime() >= requestedTo.getTime()) {
    throw badInput(`range.from (${requestedFrom.toISOString()}) must be before range.to (${requestedTo.toISOString()})`, 'range');
  }
  // The finest stored grain is the minute: a range is widened to whole minutes.
  const from = truncateToGrain(requestedFrom, 'minute');
  const to = new Date(Math.ceil(requestedTo.getTime() / 60_000) * 60_000);
  const timeZone = request.timeZone ?? 'UTC';
  if (!isValidTimeZone(timeZone)) throw badInput(`timeZone "${timeZone}" is not an IANA time zone (e.g. "Europe/Paris")`, 'timeZone');
  const groupBy = [...new Set(request.groupBy ?? [])];
  const filter: Record<string, string[]> = {};
  for (const [dimension, values] of Object.entries(request.filter ?? {})) if (values?.length) filter[dimension] = [...values];
  for (const dimension of [...groupBy, ...Object.keys(filter)]) {
    if (!rollup.dimensions.includes(dimension)) throw badInput(`unknown dimension "${dimension}"; known: ${rollup.dimensions.join(', ')}`, 'groupBy');
  }
  const { compareTo, rolling, top } = request;
  if (compareTo != null && !COMPARE_PERIODS.includes(compareTo)) throw badInput(`compareTo must be one of ${COMPARE_PERIODS.join(', ')}`, 'compareTo');
  const window = rolling ? rolling.buckets : 0;
  if (rolling && (!Number.isInteger(window) || window < 1)) throw badInput(`rolling.buckets must be a positive integer; got ${window}`, 'rolling');
  if (top) {
    if (!groupBy.length) throw badInput('top needs groupBy: it ranks groups', 'top');
    if (!(top.by in rollup.measures)) throw badInput(`top.by: unknown measure "${top.by}"; known: ${Object.keys(rollup.measures).join(', ')}`, 'top');
    if (!Number.isInteger(top.limit) || top.limit < 1) throw badInput(`top.limit must be a positive integer; got ${top.limit}`, 'top');
    if (rollup.measures[top.by] === 'percentiles')
      throw badInput(`top.by: "${top.by}" is a percentiles measure; rank by a sum, count or distinct count`, 'top');
  }
  const sketched = Object.keys(rollup.measures).filter((m) => isSketchMeasure(rollup.measures[m]));
  for (const measure of request.sketchMeasures ?? []) {
    if (!sketched.includes(measure)) throw badInput(`unknown sketch measure "${measure}"; known: ${sketched.join(', ') || 'none'}`, 'sketchMeasures');
  }
  const wanted = new Set(request.sketchMeasures ?? sketched);
  if (top && isSketchMeasure(rollup.measures[top.by])) wanted.add(top.by);
  // Measures answered: every numeric one, the sketch ones asked for.
  const measures = Object.fromEntries(Object.entries(rollup.measures).filter(([m, kind]) => !isSketchMeasure(kind) || wanted.has(m)));
  const sketches = [...wanted].flatMap((m) => Object.keys(measureSketches(m, rollup.measures[m])));

  let plan;
  try {
    // A rolling window reads `window - 1` buckets before the range: they count against the same limit.
    const maxBuckets = limits.maxBuckets - Math.max(0, window - 1);
    if (maxBuckets < 1) throw new BucketLimitError(window, limits.maxBuckets);
    plan = planBuckets({ from, to, granularity: request.granularity, timeZone, maxBuckets });
  } catch (error) {
    if (error instanceof BucketLimitError)
      throw new GraphQLError(error.message, { extensions: { code: ErrorCode.RESULT_TOO_LARGE, requested: error.requested, limit: error.limit } });
    if (error instanceof RangeError) throw badInput(error.message, 'range');
    throw error;
  }
  // The smallest projection holding every dimension grouped or filtered on answers exactly as the rollup
  // would; it has no minute rows, so minute parts are read from the rollup.
  const source = pickProjection(rollup.name, rollup.projections ?? [], [...groupBy, ...Object.keys(filter)]);
  const rollupAt = source === rollup.name ? undefined : { minute: rollup.name };
  const zone = servedZone(rollup.dayZones ?? [], timeZone);
  const query: PartsQuery = {
    rollup: source,
    groupBy,
    filter,
    ...(sketches.length ? { sketches } : {}),
    ...(rollupAt ? { rollupAt } : {}),
    ...(zone ? { zoneDays: { zone, rollup: zoneDayTableName(source, zone) } } : {}),
  };
  const compared = compareTo ? comparisonBoundaries(plan.boundaries, request.granularity, timeZone, compareTo) : [];
  const before = window ? windowBoundaries(plan.starts[0], from, request.granularity, timeZone, window) : [];
  const [rows, comparisonRows, beforeRows, asOf] = await Promise.all([
    readBucketRows(store, query, plan.boundaries),
    compared.length ? readSpans(store, query, compared) : [],
    before.length ? readBucketRows(store, query, before) : [],
    store.watermark(),
  ]);

  const columns = layoutColumns(rollupLayout(rollup.name, rollup.dimensions, measures));
  const bucketCount = plan.starts.length;
  const emptySeries = (): SeriesColumns => ({
    buckets: emptyColumns(bucketCount),
    // Only a compared answer fills comparison spans: the others would allocate a map per bucket per group for nothing.
    comparison: emptyColumns(compared.length ? bucketCount : 0),
    before: emptyColumns(Math.max(0, before.length - 1)),
  });
  const overall = emptySeries();
  const groups = new Map<string, { key: Record<string, string>; columns: SeriesColumns }>();
  // A group's id (its values in `groupBy` order, as JSON): asked for every row, so built once per value of a
  // single dimension.
  const singleIds = new Map<string, string>();
  const idOf = (group: Record<string, string>): string => {
    if (groupBy.length !== 1) return JSON.stringify(groupBy.map((d) => group[d]));
    const value = group[groupBy[0]];
    let id = singleIds.get(value);
    if (id === undefined) singleIds.set(value, (id = JSON.stringify([value])));
    return id;
  };
  for (const row of rows) {
    const rowValues = columnsOf(row);
    mergeColumns(columns, overall.buckets[row.bucket], rowValues);
    if (!groupBy.length) continue;
    const id = idOf(row.group);
    let group = groups.get(id);
    if (!group) {
      if ((groups.size + 1) * bucketCount > limits.maxPoints) {
        throw new GraphQLError(
          `this query would return more than ${limits.maxPoints} points (${bucketCount} buckets × over ${groups.size} groups) — group by fewer dimensions, filter, or use a coarser granularity`,
          {
            extensions: { code: ErrorCode.RESULT_TOO_LARGE, limit: limits.maxPoints },
          },
        );
      }
      group = { key: { ...row.group }, columns: emptySeries() };
      groups.set(id, group);
    }
    mergeColumns(columns, group.columns.buckets[row.bucket], rowValues);
  }
  // Groups are those with facts in the range; facts of other groups still count in the overall series.
  const spread = (extra: readonly BucketRow[], pick: (series: SeriesColumns) => Columns[]) => {
    for (const row of extra) {
      const rowValues = columnsOf(row);
      mergeColumns(columns, pick(overall)[row.bucket], rowValues);
      const group = groupBy.length ? groups.get(idOf(row.group)) : undefined;
      if (group) mergeColumns(columns, pick(group.columns)[row.bucket], rowValues);
    }
  };
  spread(comparisonRows, (s) => s.comparison);
  spread(beforeRows, (s) => s.before);

  const ends = plan.starts.map((start, i) => (i + 1 < plan.starts.length ? plan.starts[i + 1] : bucketEndOf(start, request.granularity, timeZone)));
  const complete = plan.starts.map((start, i) => plan.boundaries[i].getTime() === start.getTime() && plan.boundaries[i + 1].getTime() === ends[i].getTime());
  const shape: SeriesShape = { plan, ends, complete, compared, window, measures, columns };
  let ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
  let others: HistoryResult['others'] = null;
  if (top) {
    const ranked = rankGroups(
      ordered.map((g) => ({ id: idOf(g.key), group: g, value: measureValue(top.by, measures[top.by], mergedColumns(columns, g.columns.buckets)) })),
      top.limit,
    );
    ordered = ranked.top;
    if (ranked.rest.length) {
      const merged = emptySeries();
      for (const g of ranked.rest) mergeSeries(columns, merged, g.columns);
      others = { groups: ranked.rest.length, ...toSeries(shape, merged) };
    }
  }
  return {
    ...toSeries(shape, overall),
    groups: ordered.map((g) => ({ key: g.key, ...toSeries(shape, g.columns) })),
    others,
    asOf,
    granularity: request.granularity,
    timeZone,
  };
}

/** The declared zone that is the query's zone (however either is spelled), or null. */
function servedZone(dayZones: readonly string[], timeZone: string): string | null {
  const zone = canonicalZone(timeZone);
  return dayZones.find((declared) => canonicalZone(declared) === zone) ?? null;
}

/** What every series of one answer shares. */
interface SeriesShape {
  plan: BucketPlan;
  /** Each bucket's end, and whether the range holds all of it: the same for every series of the answer. */
  ends: readonly Date[];
  complete: readonly boolean[];
  /** Comparison boundaries; empty without `compareTo`. */
  compared: readonly Date[];
  /** Rolling window size; 0 without `rolling`. */
  window: number;
  measures: Record<string, MeasureKind>;
  columns: Record<string, ColumnKind>;
}

function toSeries(shape: SeriesShape, series: SeriesColumns): HistorySeries {
  const { plan, ends, complete, compared, window, measures, columns } = shape;
  const totalColumns: Columns = {};
  const buckets = plan.starts.map((start, i): HistoryBucket => {
    mergeColumns(columns, totalColumns, series.buckets[i]);
    const bucket: HistoryBucket = { start, end: ends[i], complete: complete[i], values: measuresValues(measures, series.buckets[i]) };
    if (compared.length) bucket.comparison = { start: compared[i], end: compared[i + 1], values: measuresValues(measures, series.comparison[i]) };
    if (window) bucket.window = windowOf(shape, series, i);
    return bucket;
  });
  const result: HistorySeries = { buckets, total: measuresValues(measures, totalColumns) };
  if (compared.length)
    result.comparison = { start: compared[0], end: compared.at(-1)!, values: measuresValues(measures, mergedColumns(columns, series.comparison)) };
  return result;
}

/** The window of `window` buckets ending at bucket i, reaching into what was read before the range. */
function windowOf({ window, measures, columns }: SeriesShape, series: SeriesColumns, i: number): HistoryWindow {
  const merged: Columns = {};
  const prior = window - 1;
  for (let k = i - prior; k <= i; k++) {
    if (k >= 0) mergeColumns(columns, merged, series.buckets[k]);
    else mergeColumns(columns, merged, series.before[prior + k]);
  }
  // The first bucket's head (cut off by the range start) belongs to the window whenever the first bucket does.
  if (i < window && series.before.length > prior) mergeColumns(columns, merged, series.before[prior]);
  const windowValues = measuresValues(measures, merged);
  const average = Object.fromEntries(
    Object.entries(windowValues).map(([m, v]) => [m, v !== null && (measures[m] === 'sum' || measures[m] === 'count') ? v / window : v]),
  );
  return { buckets: window, values: windowValues, average };
}

function mergeSeries(columns: Record<string, ColumnKind>, into: SeriesColumns, from: SeriesColumns): void {
  from.buckets.forEach((c, i) => mergeColumns(columns, into.buckets[i], c));
  from.comparison.forEach((c, i) => mergeColumns(columns, into.comparison[i], c));
  from.before.forEach((c, i) => mergeColumns(columns, into.before[i], c));
}

function mergedColumns(columns: Record<string, ColumnKind>, list: readonly Columns[]): Columns {
  const merged: Columns = {};
  for (const c of list) mergeColumns(columns, merged, c);
  return merged;
}

/** A stored row's numeric values and merged sketches, as one column map. */
function columnsOf(row: BucketRow): Columns {
  return row.sketches ? { ...row.values, ...row.sketches } : row.values;
}

function emptyColumns(count: number): Columns[] {
  return Array.from({ length: count }, () => ({}));
}

function parseInstant(value: string | Date, argument: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (typeof value === 'string' && !ISO_TIMESTAMP.test(value)) {
    throw badInput(`${argument} must be an ISO-8601 timestamp with a zone, e.g. 2024-05-01T00:00:00Z; got "${value}"`, argument);
  }
  if (Number.isNaN(date.getTime())) throw badInput(`${argument} is not a valid timestamp: "${String(value)}"`, argument);
  return date;
}
