import type { MeasureKind } from '../productDeclaration.js';
import { badInput } from '../graphql/badInput.js';
import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { GraphQLError } from 'graphql';
import { ISO_TIMESTAMP } from '../../../core/graphql/isoTimestamp.js';
import type { MergeKind, Store } from '../store/Store.js';
import { measureValue, mergeColumns, rollupLayout } from '../rollups/rollupLayout.js';
import { readBucketRows } from './readBucketRows.js';
import { BucketLimitError, bucketEndOf, isValidTimeZone, planBuckets, truncateToGrain, type Granularity } from './timeBuckets.js';

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
}

/** One bucket: calendar start/end and one value per measure (sums and counts zero-filled). */
export interface HistoryBucket {
  start: Date;
  end: Date;
  values: Record<string, number | null>;
}

export interface HistorySeries {
  buckets: HistoryBucket[];
  total: Record<string, number | null>;
}

export interface HistoryResult extends HistorySeries {
  /** One series per group when `groupBy` was given, ordered by group key. */
  groups: Array<HistorySeries & { key: Record<string, string> }>;
  /** Newest event time applied: the freshness of this answer. */
  asOf: Date | null;
  granularity: Granularity;
  timeZone: string;
}

/** Limits that keep one query's cost bounded. */
export interface HistoryLimits {
  /** Most buckets one series may have. */
  maxBuckets: number;
  /** Most buckets × groups one answer may have. */
  maxPoints: number;
}

/** The rollup being queried. */
export interface HistoryRollup {
  name: string;
  dimensions: readonly string[];
  measures: Record<string, MeasureKind>;
}

/**
 * Answers a history request from a rollup: plans calendar buckets in the time zone, lets the store
 * aggregate the minute, hour or day table into them (never raw facts), zero-fills, computes totals and groups.
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

  let plan;
  try {
    plan = planBuckets({ from, to, granularity: request.granularity, timeZone, maxBuckets: limits.maxBuckets });
  } catch (error) {
    if (error instanceof BucketLimitError)
      throw new GraphQLError(error.message, { extensions: { code: ErrorCode.RESULT_TOO_LARGE, requested: error.requested, limit: error.limit } });
    if (error instanceof RangeError) throw badInput(error.message, 'range');
    throw error;
  }
  const [rows, asOf] = await Promise.all([readBucketRows(store, { rollup: rollup.name, groupBy, filter }, plan.boundaries), store.watermark()]);

  const columns = rollupLayout(rollup.name, rollup.dimensions, rollup.measures).columns;
  const bucketCount = plan.starts.length;
  const overall = emptyColumns(bucketCount);
  const groups = new Map<string, { key: Record<string, string>; columns: Array<Record<string, number | null>> }>();
  for (const row of rows) {
    mergeColumns(columns, overall[row.bucket], row.values);
    if (!groupBy.length) continue;
    const id = JSON.stringify(groupBy.map((d) => row.group[d]));
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
      group = { key: { ...row.group }, columns: emptyColumns(bucketCount) };
      groups.set(id, group);
    }
    mergeColumns(columns, group.columns[row.bucket], row.values);
  }

  const series = (perBucket: Array<Record<string, number | null>>): HistorySeries =>
    toSeries(plan.starts, perBucket, rollup.measures, columns, request.granularity, timeZone);
  return {
    ...series(overall),
    groups: [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => ({ key: g.key, ...series(g.columns) })),
    asOf,
    granularity: request.granularity,
    timeZone,
  };
}

function toSeries(
  starts: Date[],
  perBucket: Array<Record<string, number | null>>,
  measures: Record<string, MeasureKind>,
  columns: Record<string, MergeKind>,
  granularity: Granularity,
  timeZone: string,
): HistorySeries {
  const totalColumns: Record<string, number | null> = {};
  const buckets = starts.map((start, i) => {
    mergeColumns(columns, totalColumns, perBucket[i]);
    const end = i + 1 < starts.length ? starts[i + 1] : bucketEndOf(start, granularity, timeZone);
    return { start, end, values: values(measures, perBucket[i]) };
  });
  return { buckets, total: values(measures, totalColumns) };
}

function values(measures: Record<string, MeasureKind>, columns: Record<string, number | null>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(measures).map(([m, kind]) => [m, measureValue(m, kind, columns)]));
}

function emptyColumns(count: number): Array<Record<string, number | null>> {
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
