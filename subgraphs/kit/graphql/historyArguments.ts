import type { HistoryComparison, HistoryRequest, HistorySeries, HistoryWindow } from '../history/queryHistory.js';
import type { ComparePeriod } from '../history/comparisonBoundaries.js';
import type { Granularity } from '../history/timeBuckets.js';

/** The GraphQL arguments every history field shares. */
export interface HistoryArguments {
  range: { from: Date; to: Date };
  granularity: Granularity;
  timeZone?: string | null;
  /** `compareTo: ComparePeriod` (see `schema/shared.graphql`). */
  compareTo?: ComparePeriod | null;
  /** `rolling: RollingWindowInput`. */
  rolling?: { buckets: number } | null;
}

/** A `top` argument: the GraphQL enum value of the measure, and the limit. */
export interface TopArgument {
  by: string;
  limit: number;
}

/**
 * Maps GraphQL enum values (`PRODUCT`) to rollup dimensions (`product_id`), rejecting none: the enum did.
 * `measures` maps the enum values of a `top.by` argument to rollup measures the same way.
 */
export function historyRequest(
  args: HistoryArguments & { groupBy?: readonly string[] | null; top?: TopArgument | null },
  dimensions: Record<string, string> = {},
  filter: HistoryRequest['filter'] = {},
  measures: Record<string, string> = {},
): HistoryRequest {
  return {
    range: args.range,
    granularity: args.granularity,
    timeZone: args.timeZone ?? 'UTC',
    groupBy: (args.groupBy ?? []).map((g) => dimensions[g] ?? g),
    filter,
    compareTo: args.compareTo ?? null,
    rolling: args.rolling ?? null,
    top: args.top ? { by: measures[args.top.by] ?? args.top.by, limit: args.top.limit } : null,
  };
}

/** One measure against its comparison period: the `MeasureChange` type of `schema/shared.graphql`. */
export interface MeasureChange {
  current: number | null;
  previous: number | null;
  /** current − previous; null when either is null. */
  absolute: number | null;
  /** (current − previous) / |previous|; null when previous is 0 or null (no base to grow from). */
  relative: number | null;
}

/** The change of one value from `previous` to `current`. */
export function measureChange(current: number | null | undefined, previous: number | null | undefined): MeasureChange {
  const [c, p] = [current ?? null, previous ?? null];
  const absolute = c === null || p === null ? null : c - p;
  return { current: c, previous: p, absolute, relative: absolute === null || !p ? null : absolute / Math.abs(p) };
}

/**
 * A series as GraphQL bucket objects: `{ start, end, complete, ...measures }` plus totals, with
 * `comparison` (`{ start, end, <measure>: MeasureChange }`) and `rolling` (`{ buckets, ...measures,
 * average: {...measures} }`) when asked, each measure derived by `derive` from the rollup values.
 */
export function seriesObjects<T extends Record<string, unknown>>(series: HistorySeries, derive: (values: Record<string, number | null>) => T) {
  const comparison = (current: T, compared: HistoryComparison | undefined) => {
    if (!compared) return null;
    const previous = derive(compared.values);
    const changes = Object.fromEntries(
      Object.entries(current).map(([name, value]) => [name, measureChange(value as number | null, previous[name] as number | null)]),
    ) as Record<keyof T, MeasureChange>;
    return { start: compared.start, end: compared.end, ...changes };
  };
  const rolling = (window: HistoryWindow | undefined) => window && { buckets: window.buckets, ...derive(window.values), average: derive(window.average) };
  return {
    buckets: series.buckets.map((b) => {
      const values = derive(b.values);
      return { start: b.start, end: b.end, complete: b.complete, ...values, comparison: comparison(values, b.comparison), rolling: rolling(b.window) ?? null };
    }),
    total: { ...derive(series.total), comparison: comparison(derive(series.total), series.comparison) },
  };
}

/** Ratio that is null when the denominator is 0. */
export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  return denominator ? (numerator ?? 0) / denominator : null;
}
