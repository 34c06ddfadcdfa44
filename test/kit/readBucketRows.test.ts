import { storeRollupLayouts } from '../../subgraphs/kit/rollups/storeRollupLayouts.js';
import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import { readBucketRows } from '../../subgraphs/kit/history/readBucketRows.js';
import { planBuckets } from '../../subgraphs/kit/history/timeBuckets.js';
import { DuckDbStore } from '../../subgraphs/kit/store/DuckDbStore.js';
import type { BucketQuery, BucketRow, StoredGrain } from '../../subgraphs/kit/store/Store.js';
import type { DataProductDefinition } from '../../subgraphs/kit/defineDataProduct.js';
import { z } from 'zod';

const DAY = 86_400_000;
const START = Date.parse('2024-03-01T00:00:00Z');

const definition = {
  facts: { Sale: z.object({ region: z.string(), units: z.number() }) },
  rollups: {
    sales: {
      dimensions: ['region'],
      measures: { units: 'sum', sales: 'count', biggest: 'max' },
      contributions: {
        Sale: (s: { region: string; units: number }) => ({ dims: { region: s.region }, values: { units: s.units, sales: 1, biggest: s.units } }),
      },
    },
  },
} as unknown as DataProductDefinition;

/** Sums per bucket and region, merging the parts a bucket was read in. */
function merged(rows: BucketRow[]): Record<string, { units: number; sales: number; biggest: number }> {
  const out: Record<string, { units: number; sales: number; biggest: number }> = {};
  for (const row of rows) {
    const key = `${row.bucket}/${row.group.region}`;
    const into = (out[key] ??= { units: 0, sales: 0, biggest: -Infinity });
    into.units += row.values.units ?? 0;
    into.sales += row.values.sales ?? 0;
    into.biggest = Math.max(into.biggest, row.values.biggest ?? -Infinity);
  }
  return out;
}

describe('readBucketRows', () => {
  let store: DuckDbStore;
  const grainsAsked: StoredGrain[] = [];

  beforeAll(async () => {
    store = await DuckDbStore.open({ path: ':memory:', threads: 1 });
    await store.init({ rollups: storeRollupLayouts(definition.rollups!), states: [] });
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const facts = Array.from({ length: 3000 }, (_, i) => ({
      source: 't',
      id: String(i),
      type: 'Sale',
      time: new Date(START + Math.floor(random() * 10 * DAY)),
      data: { region: random() < 0.5 ? 'eu' : 'na', units: 1 + Math.floor(random() * 9) },
    }));
    await store.apply(facts, createProjector(definition));
    const query = store.queryBuckets.bind(store);
    jest.spyOn(store, 'queryBuckets').mockImplementation((q: BucketQuery) => {
      grainsAsked.push(q.grain);
      return query(q);
    });
  });
  afterAll(() => store.close());
  beforeEach(() => {
    grainsAsked.length = 0;
  });

  const minuteOnly = (boundaries: Date[]) => store.queryBuckets({ rollup: 'sales', grain: 'minute', boundaries, groupBy: ['region'], filter: {} });

  it.each([
    ['an unaligned range of DAY buckets', '2024-03-01T10:37:00Z', '2024-03-08T14:05:00Z', 'DAY', 'UTC'],
    ['DAY buckets in a whole-hour zone', '2024-03-02T00:00:00Z', '2024-03-09T00:00:00Z', 'DAY', 'America/New_York'],
    ['DAY buckets in a half-hour zone', '2024-03-02T03:11:00Z', '2024-03-06T00:00:00Z', 'DAY', 'Asia/Kolkata'],
    ['HOUR buckets over an unaligned range', '2024-03-03T05:59:00Z', '2024-03-04T02:01:00Z', 'HOUR', 'UTC'],
    ['one WEEK bucket inside a week', '2024-03-05T08:00:00Z', '2024-03-07T09:30:00Z', 'WEEK', 'UTC'],
  ] as const)('should read %s exactly as the minute table would', async (_name, from, to, granularity, timeZone) => {
    const plan = planBuckets({ from: new Date(from), to: new Date(to), granularity, timeZone, maxBuckets: 10_000 });

    const rows = await readBucketRows(store, { rollup: 'sales', groupBy: ['region'], filter: {} }, plan.boundaries);
    const reference = await minuteOnly(plan.boundaries);

    expect(merged(rows)).toEqual(merged(reference));
    expect(Object.keys(merged(reference)).length).toBeGreaterThan(0);
    expect(Math.max(...rows.map((r) => r.bucket))).toBeLessThan(plan.starts.length);
  });

  it('should read whole days of an unaligned 8-day range from the day table and only the ends from finer ones', async () => {
    const plan = planBuckets({ from: new Date('2024-03-01T10:37:00Z'), to: new Date('2024-03-09T14:05:00Z'), granularity: 'DAY', maxBuckets: 100 });

    await readBucketRows(store, { rollup: 'sales', groupBy: [], filter: {} }, plan.boundaries);

    expect(grainsAsked).toEqual(['day', 'hour', 'minute', 'hour', 'minute']);
  });

  it('should ask once when the range is aligned to its buckets', async () => {
    const plan = planBuckets({ from: new Date(START), to: new Date(START + 7 * DAY), granularity: 'DAY', maxBuckets: 100 });

    await readBucketRows(store, { rollup: 'sales', groupBy: [], filter: {} }, plan.boundaries);

    expect(grainsAsked).toEqual(['day']);
  });
});
