import { getNamedType, type GraphQLField } from 'graphql';

/** Bucket length of each `Granularity` value; a month counts as 28 days so estimates err high. */
const GRANULARITY_MS: Readonly<Record<string, number>> = {
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
  WEEK: 7 * 86_400_000,
  MONTH: 28 * 86_400_000,
};

/**
 * Whether a field is a history field: it takes `range: TimeRangeInput` and `granularity: Granularity`
 * (the convention of every domain's history, see `schema/orders.graphql`), so its work grows with the
 * number of buckets the range holds.
 */
export function isHistoryField(field: GraphQLField<unknown, unknown>): boolean {
  const typeOf = (name: string) => field.args.find((a) => a.name === name)?.type;
  const range = typeOf('range');
  const granularity = typeOf('granularity');
  return !!range && !!granularity && getNamedType(range).name === 'TimeRangeInput' && getNamedType(granularity).name === 'Granularity';
}

/**
 * The number of buckets a history field reads, times its group fan-out: `ceil(range / granularity)`,
 * doubled with `compareTo` (the comparison period is as many buckets again), plus `rolling.buckets - 1`
 * (a rolling window reads that many buckets before the range), times `groupByFanout` per `groupBy`
 * dimension. Arguments that cannot be read (a bad date, a missing variable) count as one bucket:
 * validation refuses such an operation anyway.
 */
export function historyBuckets(args: Readonly<Record<string, unknown>>, groupByFanout: number): number {
  const range = args.range as { from?: unknown; to?: unknown } | null | undefined;
  const step = GRANULARITY_MS[String(args.granularity)];
  const from = typeof range?.from === 'string' ? Date.parse(range.from) : NaN;
  const to = typeof range?.to === 'string' ? Date.parse(range.to) : NaN;
  const buckets = step && Number.isFinite(from) && Number.isFinite(to) && to > from ? Math.ceil((to - from) / step) : 1;
  const compared = args.compareTo != null ? buckets : 0;
  const window = (args.rolling as { buckets?: unknown } | null | undefined)?.buckets;
  const before = typeof window === 'number' && Number.isInteger(window) && window > 1 ? window - 1 : 0;
  const groupBy = args.groupBy;
  const dimensions = Array.isArray(groupBy) ? new Set(groupBy).size : groupBy == null ? 0 : 1;
  return (buckets + compared + before) * groupByFanout ** dimensions;
}
