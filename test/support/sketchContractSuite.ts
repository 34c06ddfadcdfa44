/**
 * The sketch part of the `Store` contract (distinct counts and percentiles), declared inside the contract
 * suite so it runs against every store. Expectations are computed from the raw facts in the test, never
 * from the store: distinct counts must be within the documented error of the exact count, percentiles
 * within the documented relative error of the exact quantile, whatever grains a query reads.
 */
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { DataProductDeclaration } from '../../subgraphs/kit/productDeclaration.js';
import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import { storeRollupLayouts } from '../../subgraphs/kit/rollups/storeRollupLayouts.js';
import { queryHistory, type HistoryRequest, type HistoryResult } from '../../subgraphs/kit/history/queryHistory.js';
import { DISTINCT_STANDARD_ERROR } from '../../subgraphs/kit/sketches/DistinctSketch.js';
import { QUANTILE_RELATIVE_ACCURACY } from '../../subgraphs/kit/sketches/QuantileSketch.js';
import type { Store, StoreLayout, StoredFact } from '../../subgraphs/kit/store/Store.js';
import { DAY, HOUR, MINUTE, T0, random } from './storeFixtures.js';

const MEASURES = { visits: 'count', visitors: 'distinct', latency: 'percentiles' } as const;
const ROLLUP = { name: 'visits', dimensions: ['region'], measures: { ...MEASURES } };
const facts = { Visit: z.object({ visitor: z.string(), region: z.string(), latency: z.number() }) };
const declaration = {
  facts,
  rollups: {
    visits: {
      dimensions: ['region'],
      measures: { ...MEASURES },
      contributions: {
        Visit: (v: z.infer<(typeof facts)['Visit']>) => ({ dims: { region: v.region }, values: { visits: 1, visitors: v.visitor, latency: v.latency } }),
      },
    },
  },
} as unknown as DataProductDeclaration;
const PROJECT = createProjector(declaration);
export const SKETCH_LAYOUT: StoreLayout = { rollups: storeRollupLayouts(declaration.rollups!), states: [] };
const LIMITS = { maxBuckets: 10_000, maxPoints: 100_000 };
/** Three standard errors: an estimate outside fails the test (with this fixed hash, deterministically). */
const DISTINCT_TOLERANCE = 3 * DISTINCT_STANDARD_ERROR;
const QUANTILES = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 };
const ZONE = 'Asia/Kolkata'; // +05:30: local days cut UTC hours, so queries mix day, hour and minute rows

interface Visit {
  visitor: string;
  region: string;
  latency: number;
}

/** Visits over three days: a few thousand visitors with repeats, three regions, skewed latencies. */
function visits(count: number, seed = 7): StoredFact[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const data: Visit = {
      visitor: `visitor-${Math.floor(next() ** 2 * 3000)}@example.com`,
      region: ['eu', 'us', 'apac'][Math.floor(next() * 3)],
      latency: Math.round(Math.exp(next() * 6) * 100) / 100,
    };
    return { source: 'web', id: `v${seed}-${i}`, type: 'Visit', time: new Date(T0 + Math.floor(next() * 3 * DAY)), data: { ...data } };
  });
}

function inSpan(all: StoredFact[], from: number, to: number, region?: string): Visit[] {
  return all
    .filter((f) => f.time.getTime() >= from && f.time.getTime() < to)
    .map((f) => f.data as unknown as Visit)
    .filter((v) => region === undefined || v.region === region);
}

function expectDistinct(actual: number | null | undefined, sample: Visit[], where: string): void {
  const exact = new Set(sample.map((v) => v.visitor)).size;
  const error = Math.abs((actual ?? NaN) - exact);
  if (!(error <= Math.max(0.5, DISTINCT_TOLERANCE * exact))) throw new Error(`${where}: distinct ${actual}, exact ${exact}`);
}

function expectQuantiles(values: Record<string, number | null>, sample: Visit[], where: string): void {
  const sorted = sample.map((v) => v.latency).sort((a, b) => a - b);
  for (const [name, q] of Object.entries(QUANTILES)) {
    const actual = values[`latency_${name}`];
    if (!sorted.length) {
      if (actual !== null) throw new Error(`${where}: ${name} of nothing should be null, got ${actual}`);
      continue;
    }
    const exact = sorted[Math.floor(q * (sorted.length - 1))];
    if (!(Math.abs((actual ?? NaN) - exact) <= QUANTILE_RELATIVE_ACCURACY * exact + 1e-9)) throw new Error(`${where}: ${name} ${actual}, exact ${exact}`);
  }
}

/** Every bucket, group and total of a result against the raw facts, over the parts of its buckets inside the range. */
function expectSeries(result: HistoryResult, all: StoredFact[], from: number, to: number): number {
  let checked = 0;
  const check = (series: HistoryResult | HistoryResult['groups'][number], region?: string) => {
    for (const bucket of series.buckets) {
      const sample = inSpan(all, Math.max(from, bucket.start.getTime()), Math.min(to, bucket.end.getTime()), region);
      const where = `${region ?? 'all'} ${bucket.start.toISOString()}`;
      expectDistinct(bucket.values.visitors, sample, where);
      expectQuantiles(bucket.values, sample, where);
      expect(bucket.values.visits).toBe(sample.length);
      checked++;
    }
    expectDistinct(series.total.visitors, inSpan(all, from, to, region), `${region ?? 'all'} total`);
    expectQuantiles(series.total, inSpan(all, from, to, region), `${region ?? 'all'} total`);
  };
  check(result);
  for (const group of result.groups) check(group, group.key.region);
  return checked;
}

/** A store that outlives one test, with what releases it (closes it, drops its storage). */
export interface SharedStore {
  store: Store;
  dispose(): Promise<void>;
}

/** What the sketch tests ask `queryHistory` for. */
type SketchRequest = Partial<HistoryRequest> & Pick<HistoryRequest, 'range' | 'granularity'>;

/**
 * `open` gives a store for one test, `openShared` one that outlives it: the tests that only read (and the
 * duplicate batch, which must change nothing) share one store loaded once; the retraction and rebuild test
 * loads its own.
 */
export function describeSketchContract(open: (layout: StoreLayout) => Promise<Store>, openShared: (layout: StoreLayout) => Promise<SharedStore>): void {
  const all = visits(4_000);
  /** Loads `all` in several batches, so stored sketches are merged with new ones, not only written once. */
  const load = async (store: Store) => {
    for (let i = 0; i < all.length; i += 700) await store.apply(all.slice(i, i + 700), PROJECT);
  };
  const historyOf = (store: Store) => (request: SketchRequest) => queryHistory(store, ROLLUP, request, LIMITS);

  describe('sketches, on one store loaded once', () => {
    let shared: SharedStore | undefined;
    let store: Store;
    const history = (request: SketchRequest) => historyOf(store)(request);

    beforeAll(async () => {
      shared = await openShared(SKETCH_LAYOUT);
      store = shared.store;
      await load(store);
    });
    afterAll(async () => {
      await shared?.dispose();
    });

    it('should answer distinct counts and percentiles within their documented error at every grain, in a non-UTC zone', async () => {
      const from = T0 + 3 * HOUR + 17 * MINUTE; // cuts a local day, an hour and nothing else
      const to = T0 + 3 * DAY - 5 * HOUR;
      let checked = 0;
      for (const granularity of ['DAY', 'HOUR'] as const) {
        const range = { from: new Date(from), to: new Date(to) };
        const result = await history({ range, granularity, timeZone: ZONE, groupBy: ['region'] });
        expect(result.buckets[0].start).toEqual(
          DateTime.fromMillis(from, { zone: ZONE })
            .startOf(granularity === 'DAY' ? 'day' : 'hour')
            .toJSDate(),
        );
        checked += expectSeries(result, all, from, to);
      }
      const minutes = { from: new Date(T0 + DAY + 10 * HOUR), to: new Date(T0 + DAY + 13 * HOUR) };
      checked += expectSeries(await history({ range: minutes, granularity: 'MINUTE', timeZone: ZONE }), all, minutes.from.getTime(), minutes.to.getTime());
      const total = await history({ range: { from: new Date(T0), to: new Date(T0 + 3 * DAY) }, granularity: 'MONTH', timeZone: ZONE });
      checked += expectSeries(total, all, T0, T0 + 3 * DAY);
      expect(checked).toBeGreaterThan(200);
    });

    it('should give the distinct counts of the comparison period and of rolling windows', async () => {
      const from = T0 + DAY + 6 * HOUR;
      const result = await history({
        range: { from: new Date(from), to: new Date(from + 12 * HOUR) },
        granularity: 'HOUR',
        compareTo: 'PREVIOUS_PERIOD',
        rolling: { buckets: 5 },
      });
      result.buckets.forEach((bucket, i) => {
        const start = bucket.start.getTime();
        expectDistinct(bucket.comparison!.values.visitors, inSpan(all, start - 12 * HOUR, start - 11 * HOUR), `comparison ${i}`);
        expectDistinct(bucket.window!.values.visitors, inSpan(all, start - 4 * HOUR, start + HOUR), `window ${i}`);
        expectQuantiles(bucket.window!.values, inSpan(all, start - 4 * HOUR, start + HOUR), `window ${i}`);
      });
      expectDistinct(result.comparison!.values.visitors, inSpan(all, from - 12 * HOUR, from), 'comparison total');
    });

    it('should rank groups by a distinct count and merge the others', async () => {
      const range = { from: new Date(T0), to: new Date(T0 + 3 * DAY) };
      const result = await history({ range, granularity: 'DAY', groupBy: ['region'], top: { by: 'visitors', limit: 1 } });
      const exact = ['eu', 'us', 'apac'].map((region) => ({ region, n: new Set(inSpan(all, T0, T0 + 3 * DAY, region).map((v) => v.visitor)).size }));
      exact.sort((a, b) => b.n - a.n);
      expect(result.groups.map((g) => g.key.region)).toEqual([exact[0].region]);
      const others = inSpan(all, T0, T0 + 3 * DAY).filter((v) => v.region !== exact[0].region);
      expectDistinct(result.others!.total.visitors, others, 'others');
      await expect(history({ range, granularity: 'DAY', groupBy: ['region'], top: { by: 'latency', limit: 1 } })).rejects.toThrow(/percentiles measure/);
    });

    it('should answer only the sketch measures asked for', async () => {
      const range = { from: new Date(T0), to: new Date(T0 + DAY) };
      const result = await history({ range, granularity: 'DAY', sketchMeasures: ['visitors'] });
      expect(Object.keys(result.total).sort()).toEqual(['visitors', 'visits']);
      await expect(history({ range, granularity: 'DAY', sketchMeasures: ['visits'] })).rejects.toThrow(/unknown sketch measure/);
    });

    // Last of the group: a duplicate batch must change nothing, so the shared store stays as loaded (a
    // regression fails this test before any other could see it).
    it('should leave a duplicate batch out of the sketches', async () => {
      const range = { from: new Date(T0), to: new Date(T0 + 3 * DAY) };
      const before = await history({ range, granularity: 'DAY' });
      await store.apply(all.slice(0, 1000), PROJECT);
      expect(await history({ range, granularity: 'DAY' })).toEqual(before);
    });
  });

  describe('sketches, retracted and rebuilt', () => {
    let store: Store;
    const history = (request: SketchRequest) => historyOf(store)(request);

    beforeEach(async () => {
      store = await open(SKETCH_LAYOUT);
      await load(store);
    });

    it('should recompute sketches when a fact is retracted and when a range is rebuilt', async () => {
      const reprojector = { project: PROJECT };
      // A visitor seen once only, with the largest latency: its retraction lowers the distinct count and p99.
      const lonely: StoredFact = {
        source: 'web',
        id: 'lonely',
        type: 'Visit',
        time: new Date(T0 + DAY + 7 * HOUR + 30 * MINUTE),
        data: { visitor: 'only-once@example.com', region: 'eu', latency: 1e6 },
      };
      const range = { from: new Date(T0), to: new Date(T0 + 3 * DAY) };
      const before = await history({ range, granularity: 'HOUR', groupBy: ['region'] });
      await store.apply([lonely], PROJECT);
      expect((await history({ range, granularity: 'DAY' })).total.latency_p99).toBe(before.total.latency_p99);
      const withLonely = await history({ range, granularity: 'MINUTE', timeZone: ZONE });
      expectDistinct(withLonely.total.visitors, inSpan([...all, lonely], T0, T0 + 3 * DAY), 'with lonely');

      await store.retract({ source: 'web', id: 'lonely' }, 'bot traffic', new Date(T0 + 5 * DAY), reprojector);
      expect(await history({ range, granularity: 'HOUR', groupBy: ['region'] })).toEqual(before);

      const rebuilt = await store.rebuild({}, reprojector);
      expect(rebuilt.facts).toBe(all.length);
      expect(await history({ range, granularity: 'HOUR', groupBy: ['region'] })).toEqual(before);
      expectSeries(await history({ range, granularity: 'DAY', groupBy: ['region'], timeZone: ZONE }), all, T0, T0 + 3 * DAY);
    });
  });
}
