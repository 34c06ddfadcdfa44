import { DateTime } from 'luxon';
import type { Granularity } from './timeBuckets.js';

/** The period a history query compares its buckets and totals with. */
export type ComparePeriod = 'PREVIOUS_PERIOD' | 'SAME_PERIOD_LAST_YEAR';
export const COMPARE_PERIODS: readonly ComparePeriod[] = ['PREVIOUS_PERIOD', 'SAME_PERIOD_LAST_YEAR'];

const UNITS: Record<Granularity, 'minutes' | 'hours' | 'days' | 'weeks' | 'months'> = {
  MINUTE: 'minutes',
  HOUR: 'hours',
  DAY: 'days',
  WEEK: 'weeks',
  MONTH: 'months',
};

/**
 * The boundaries of the comparison period: each boundary of the query moved back on the wall clock of
 * `timeZone` (luxon calendar arithmetic, so local midnights stay local midnights across DST), so bucket i
 * compares with [result[i], result[i + 1]).
 *
 * - PREVIOUS_PERIOD moves back by as many granularity units as the query has buckets: whole buckets
 *   compare with the same number of whole buckets just before the range.
 * - SAME_PERIOD_LAST_YEAR moves back one calendar year; WEEK buckets move back 52 weeks instead, so a
 *   Monday-to-Monday week compares with a Monday-to-Monday week. A February 29 has no counterpart: its
 *   bucket compares with an empty span (the 28th keeps the 28th).
 *
 * Month-end clamping can map two boundaries to one instant; the result is kept non-decreasing, and an
 * empty span reads nothing.
 */
export function comparisonBoundaries(boundaries: readonly Date[], granularity: Granularity, timeZone: string, compareTo: ComparePeriod): Date[] {
  const buckets = boundaries.length - 1;
  let previous = Number.NEGATIVE_INFINITY;
  return boundaries.map((boundary) => {
    const local = DateTime.fromMillis(boundary.getTime(), { zone: timeZone });
    let shifted: DateTime;
    if (compareTo === 'PREVIOUS_PERIOD') shifted = local.minus({ [UNITS[granularity]]: buckets });
    else if (granularity === 'WEEK') shifted = local.minus({ weeks: 52 });
    else if (local.month === 2 && local.day === 29)
      shifted = local.set({ month: 3, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0 }).minus({ years: 1 });
    else shifted = local.minus({ years: 1 });
    previous = Math.max(previous, shifted.toMillis());
    return new Date(previous);
  });
}
