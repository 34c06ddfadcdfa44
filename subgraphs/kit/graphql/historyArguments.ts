import type { HistoryRequest, HistorySeries } from '../history/queryHistory.js';
import type { Granularity } from '../history/timeBuckets.js';

/** The GraphQL arguments every history field shares. */
export interface HistoryArguments {
  range: { from: Date; to: Date };
  granularity: Granularity;
  timeZone?: string | null;
}

/** Maps GraphQL enum values (`PRODUCT`) to rollup dimensions (`product_id`), rejecting none: the enum did. */
export function historyRequest(
  args: HistoryArguments & { groupBy?: readonly string[] | null },
  dimensions: Record<string, string> = {},
  filter: HistoryRequest['filter'] = {},
): HistoryRequest {
  return {
    range: args.range,
    granularity: args.granularity,
    timeZone: args.timeZone ?? 'UTC',
    groupBy: (args.groupBy ?? []).map((g) => dimensions[g] ?? g),
    filter,
  };
}

/** A series as GraphQL bucket objects: `{ start, end, ...measures }` plus totals. */
export function seriesObjects<T extends Record<string, unknown>>(series: HistorySeries, derive: (values: Record<string, number | null>) => T) {
  return {
    buckets: series.buckets.map((b) => ({ start: b.start, end: b.end, ...derive(b.values) })),
    total: derive(series.total),
  };
}

/** Ratio that is null when the denominator is 0. */
export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  return denominator ? (numerator ?? 0) / denominator : null;
}
