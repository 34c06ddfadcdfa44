/**
 * The pure parts of the analytics history arguments, checked against luxon stepping and by hand:
 * comparison boundaries, the buckets a rolling window reads before the range, group ranking and changes.
 */
import { DateTime } from 'luxon';
import { measureChange } from '../../subgraphs/kit/graphql/historyArguments.js';
import { comparisonBoundaries } from '../../subgraphs/kit/history/comparisonBoundaries.js';
import { rankGroups } from '../../subgraphs/kit/history/rankGroups.js';
import { readSpans } from '../../subgraphs/kit/history/readSpans.js';
import { windowBoundaries } from '../../subgraphs/kit/history/windowBoundaries.js';
import type { Store } from '../../subgraphs/kit/store/Store.js';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const at = (text: string) => new Date(text);

describe('comparisonBoundaries', () => {
  it('should move whole months back by the bucket count in the zone', () => {
    const boundaries = [at('2024-01-01T05:00:00Z'), at('2024-02-01T05:00:00Z'), at('2024-03-01T05:00:00Z'), at('2024-04-01T04:00:00Z')];
    expect(iso(comparisonBoundaries(boundaries, 'MONTH', 'America/New_York', 'PREVIOUS_PERIOD'))).toEqual([
      '2023-10-01T04:00:00.000Z',
      '2023-11-01T04:00:00.000Z',
      '2023-12-01T05:00:00.000Z',
      '2024-01-01T05:00:00.000Z',
    ]);
  });

  it('should keep boundaries non-decreasing when month ends clamp onto one day', () => {
    const boundaries = [at('2024-03-30T12:00:00Z'), at('2024-03-31T12:00:00Z')];
    expect(iso(comparisonBoundaries(boundaries, 'MONTH', 'UTC', 'PREVIOUS_PERIOD'))).toEqual(['2024-02-29T12:00:00.000Z', '2024-02-29T12:00:00.000Z']);
  });

  it('should move local midnights back a year across DST', () => {
    // Berlin 2024-03-31 00:00 (+01:00) and 2024-04-01 00:00 (+02:00) → 2023-03-31 (+02:00) and 2023-04-01 (+02:00).
    const boundaries = [at('2024-03-30T23:00:00Z'), at('2024-03-31T22:00:00Z')];
    expect(iso(comparisonBoundaries(boundaries, 'DAY', 'Europe/Berlin', 'SAME_PERIOD_LAST_YEAR'))).toEqual([
      '2023-03-30T22:00:00.000Z',
      '2023-03-31T22:00:00.000Z',
    ]);
  });
});

describe('windowBoundaries', () => {
  /** The `n` bucket starts before `first`, stepped one local unit at a time with luxon. */
  const stepped = (first: string, zone: string, unit: 'hours' | 'days' | 'months', n: number) =>
    Array.from({ length: n }, (_, i) =>
      DateTime.fromISO(first, { zone })
        .minus({ [unit]: n - i })
        .toJSDate()
        .toISOString(),
    );

  it('should read the whole local days before the range, across DST', () => {
    const first = '2024-04-02T00:00:00';
    const start = DateTime.fromISO(first, { zone: 'Europe/Berlin' }).toJSDate();
    expect(iso(windowBoundaries(start, start, 'DAY', 'Europe/Berlin', 5))).toEqual([...stepped(first, 'Europe/Berlin', 'days', 4), start.toISOString()]);
  });

  it('should read the months before the range and the cut-off head of the first bucket', () => {
    const start = DateTime.fromISO('2024-03-01T00:00:00', { zone: 'America/Sao_Paulo' }).toJSDate();
    const from = new Date(start.getTime() + 3_600_000);
    expect(iso(windowBoundaries(start, from, 'MONTH', 'America/Sao_Paulo', 13))).toEqual([
      ...stepped('2024-03-01T00:00:00', 'America/Sao_Paulo', 'months', 12),
      start.toISOString(),
      from.toISOString(),
    ]);
  });

  it('should count the repeated hour as one bucket when clocks fall back', () => {
    // New York 2024-11-03: 01:00-02:00 happens twice and is one two-hour HOUR bucket.
    const start = at('2024-11-03T07:00:00Z'); // 02:00 EST
    expect(iso(windowBoundaries(start, start, 'HOUR', 'America/New_York', 3))).toEqual([
      '2024-11-03T04:00:00.000Z',
      '2024-11-03T05:00:00.000Z',
      '2024-11-03T07:00:00.000Z',
    ]);
  });

  it('should read nothing for a one-bucket window over a whole first bucket', () => {
    expect(windowBoundaries(at('2024-01-01T00:00:00Z'), at('2024-01-01T00:00:00Z'), 'DAY', 'UTC', 1)).toEqual([]);
  });
});

describe('readSpans', () => {
  it('should not ask the store when every span is empty', async () => {
    const store = { queryBuckets: () => Promise.reject(new Error('must not be called')) } as unknown as Store;
    const day = at('2023-03-01T00:00:00Z');
    await expect(readSpans(store, { rollup: 'sales', groupBy: [], filter: {} }, [day, day, day])).resolves.toEqual([]);
  });
});

describe('rankGroups', () => {
  it('should rank by value descending, nulls last, ties by id', () => {
    const groups = [
      { id: 'c', group: 'c', value: null },
      { id: 'b', group: 'b', value: 5 },
      { id: 'a', group: 'a', value: 5 },
      { id: 'd', group: 'd', value: 9 },
      { id: 'e', group: 'e', value: null },
    ];
    expect(rankGroups(groups, 2)).toEqual({ top: ['d', 'a'], rest: ['b', 'c', 'e'] });
  });
});

describe('measureChange', () => {
  it('should give absolute and relative changes, null without a base', () => {
    expect(measureChange(3, -4)).toEqual({ current: 3, previous: -4, absolute: 7, relative: 1.75 });
    expect(measureChange(3, 0)).toEqual({ current: 3, previous: 0, absolute: 3, relative: null });
    expect(measureChange(null, 2)).toEqual({ current: null, previous: 2, absolute: null, relative: null });
    expect(measureChange(undefined, undefined)).toEqual({ current: null, previous: null, absolute: null, relative: null });
  });
});
