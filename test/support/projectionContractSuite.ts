/**
 * Rollup projections in the store contract (grouping sets, see `subgraphs/kit/rollups/rollupProjections.ts`):
 * a history query read from the smallest covering projection answers exactly what the full rollup answers
 * (numbers and sketches), a filter outside every projection reads the full rollup, and retraction, rebuild
 * and retention keep projections equal to their rollup. Each answer is checked against the same query
 * forced onto the full rollup (a `HistoryRollup` without projections), which `sketchContractSuite.ts` and
 * the rest of the contract check against raw facts.
 */
import { z } from 'zod';
import type { DataProductDeclaration } from '../../subgraphs/kit/productDeclaration.js';
import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import { rollupProjections } from '../../subgraphs/kit/rollups/rollupProjections.js';
import { storeRollupLayouts } from '../../subgraphs/kit/rollups/storeRollupLayouts.js';
import { queryHistory, type HistoryRequest, type HistoryRollup } from '../../subgraphs/kit/history/queryHistory.js';
import type { BucketQuery, Projector, Store, StoreLayout, StoredFact } from '../../subgraphs/kit/store/Store.js';
import { DAY, HOUR, MINUTE, T0, random } from './storeFixtures.js';
import type { SharedStore } from './sketchContractSuite.js';

export const MEASURES = {
  visits: 'count',
  spent: 'sum',
  smallest: 'min',
  largest: 'max',
  basket: 'avg',
  visitors: 'distinct',
  latency: 'percentiles',
} as const;
export const DIMENSIONS = ['region', 'channel', 'device'];
const facts = {
  Visit: z.object({ visitor: z.string(), region: z.string(), channel: z.string(), device: z.string(), spent: z.number(), latency: z.number() }),
};
export type Visit = z.infer<(typeof facts)['Visit']>;

/** The rollup, with the projection over `region` declared (the ungrouped one is implied), and `dayZones` if given. */
export function declaration(spentFactor = 1, dayZones?: string[]): DataProductDeclaration {
  return {
    facts,
    rollups: {
      visits: {
        dimensions: DIMENSIONS,
        measures: { ...MEASURES },
        projections: [['region'], ['region']],
        ...(dayZones ? { dayZones } : {}),
        contributions: {
          Visit: (v: Visit) => ({
            dims: { region: v.region, channel: v.channel, device: v.device },
            // Integer samples: sums are exact whatever order rows are added in.
            values: { visits: 1, spent: v.spent * spentFactor, smallest: v.spent, largest: v.spent, basket: v.spent, visitors: v.visitor, latency: v.latency },
          }),
        },
      },
    },
  } as unknown as DataProductDeclaration;
}
const DECLARATION = declaration();
const PROJECT = createProjector(DECLARATION);
export const PROJECTION_LAYOUT: StoreLayout = { rollups: storeRollupLayouts(DECLARATION.rollups!), states: [] };
const PROJECTIONS = rollupProjections('visits', DECLARATION.rollups!.visits);
const PROJECTED: HistoryRollup = { name: 'visits', dimensions: DIMENSIONS, measures: { ...MEASURES }, projections: PROJECTIONS };
/** The same rollup with no projections known: every query reads the full rollup. */
const FULL: HistoryRollup = { ...PROJECTED, projections: [] };
export const LIMITS = { maxBuckets: 10_000, maxPoints: 100_000 };
const ZONE = 'America/St_Johns'; // -03:30 / -02:30: local days and hours cut UTC hours
const RANGE = { from: new Date(T0 + 2 * HOUR + 13 * MINUTE), to: new Date(T0 + 3 * DAY - 7 * HOUR) };

function visits(count: number, seed = 11): StoredFact[] {
  const next = random(seed);
  const pick = (values: string[]) => values[Math.floor(next() * values.length)];
  return Array.from({ length: count }, (_, i) => {
    const data: Visit = {
      visitor: `v${Math.floor(next() ** 2 * 800)}`,
      region: pick(['eu', 'us', 'apac']),
      channel: pick(['web', 'app']),
      device: pick(['phone', 'desktop', 'tablet']),
      spent: 1 + Math.floor(next() * 500),
      latency: Math.round(Math.exp(next() * 6) * 100) / 100,
    };
    return { source: 'web', id: `p${seed}-${i}`, type: 'Visit', time: new Date(T0 + Math.floor(next() * 3 * DAY)), data: { ...data } };
  });
}

/** The queries every check runs: ungrouped, grouped, filtered, both, in several grains and a non-UTC zone. */
const REQUESTS: Array<Omit<HistoryRequest, 'range'>> = [
  { granularity: 'DAY', timeZone: ZONE },
  { granularity: 'HOUR', groupBy: ['region'] },
  { granularity: 'DAY', timeZone: ZONE, groupBy: ['region'], filter: { region: ['eu', 'apac'] } },
  { granularity: 'DAY', filter: { region: ['us'] }, compareTo: 'PREVIOUS_PERIOD', rolling: { buckets: 3 } },
  { granularity: 'MINUTE', groupBy: ['region'], top: { by: 'visitors', limit: 2 } },
  { granularity: 'WEEK', timeZone: ZONE, groupBy: ['region'], top: { by: 'spent', limit: 1 } },
  // Outside the `region` projection: the full rollup answers both.
  { granularity: 'DAY', groupBy: ['region'], filter: { channel: ['web'] } },
  { granularity: 'HOUR', groupBy: ['device'] },
];

/**
 * `open` gives a store for one test, `openShared` one loaded once for the tests that only read; the
 * repair and retention tests load their own.
 */
export function describeProjectionContract(open: (layout: StoreLayout) => Promise<Store>, openShared: (layout: StoreLayout) => Promise<SharedStore>): void {
  const all = visits(2_500);
  const load = async (store: Store) => {
    for (let i = 0; i < all.length; i += 600) await store.apply(all.slice(i, i + 600), PROJECT);
  };

  describe('projections', () => {
    let shared: SharedStore | undefined;
    let store: Store;
    let read: string[];

    /** The request read through projections and forced onto the full rollup: the answers must be equal. */
    async function expectSameAnswers(request: Omit<HistoryRequest, 'range'>, range = RANGE): Promise<void> {
      const minuteRange = request.granularity === 'MINUTE' ? { from: new Date(T0 + DAY + 3 * HOUR), to: new Date(T0 + DAY + 5 * HOUR) } : range;
      const projected = await queryHistory(store, PROJECTED, { ...request, range: minuteRange }, LIMITS);
      const full = await queryHistory(store, FULL, { ...request, range: minuteRange }, LIMITS);
      expect(projected).toEqual(full);
      expect(projected.total.visits).toBeGreaterThan(0);
    }

    /** A store loaded with `all`, each bucket query it answers recorded in `read` as `rollup:grain`. */
    const recorded = async (loaded: Store, loading = true) => {
      if (loading) await load(loaded);
      read = [];
      const queryBuckets = loaded.queryBuckets.bind(loaded);
      loaded.queryBuckets = (query: BucketQuery) => {
        read.push(`${query.rollup}:${query.grain}`);
        return queryBuckets(query);
      };
      return loaded;
    };

    describe('read', () => {
      beforeAll(async () => {
        shared = await openShared(PROJECTION_LAYOUT);
        store = await recorded(shared.store);
      });
      afterAll(async () => {
        await shared?.dispose();
      });

      it('should answer from a projection exactly what the full rollup answers, numbers and sketches', async () => {
        for (const request of REQUESTS) await expectSameAnswers(request);
      });

      it('should read the smallest projection covering the group-by and filters, and the full rollup otherwise', async () => {
        const readsOf = async (request: Omit<HistoryRequest, 'range'>) => {
          read = [];
          await queryHistory(store, PROJECTED, { ...request, range: RANGE }, LIMITS);
          return [...new Set(read)].sort();
        };
        // The range cuts an hour: its minutes come from the rollup (projections start at the hour grain).
        const parts = (rollup: string) => ['visits:minute', `${rollup}:day`, `${rollup}:hour`].sort();
        expect(await readsOf({ granularity: 'DAY' })).toEqual(parts('visits__by'));
        expect(await readsOf({ granularity: 'DAY', groupBy: ['region'] })).toEqual(parts('visits__by__region'));
        expect(await readsOf({ granularity: 'DAY', filter: { region: ['eu'] } })).toEqual(parts('visits__by__region'));
        expect(await readsOf({ granularity: 'DAY', groupBy: ['region'], filter: { device: ['phone'] } })).toEqual(parts('visits'));
        expect(await readsOf({ granularity: 'DAY', groupBy: ['channel'] })).toEqual(parts('visits'));
        expect(await readsOf({ granularity: 'MINUTE', groupBy: ['region'] })).toEqual(['visits:minute']);

        // The projection holds one row per bucket and region where the rollup holds one per region × channel × device.
        const dayRows = async (rollup: string, groupBy: string[]) =>
          (await store.queryBuckets({ rollup, grain: 'day', boundaries: [0, 1, 2, 3].map((d) => new Date(T0 + d * DAY)), groupBy, filter: {} })).length;
        expect(await dayRows('visits__by', [])).toBe(3);
        expect(await dayRows('visits__by__region', ['region'])).toBe(9);
        expect(await dayRows('visits', ['region', 'channel', 'device'])).toBe(3 * 3 * 2 * 3);
      });
    });

    describe('added to a store holding rows', () => {
      /** The store of an older definition: `layout` at first, loaded, then initialized again with every projection. */
      async function upgraded(layout: StoreLayout, built: string[], beforeInit?: () => Promise<unknown>): Promise<void> {
        store = await open(layout);
        // The older definition's projector: deltas of the tables it knew only.
        const known = new Set(layout.rollups.map((r) => r.name));
        const older: Projector = async (newFacts, states, options) => {
          const projection = await PROJECT(newFacts, states, options);
          return { ...projection, deltas: projection.deltas.filter((d) => known.has(d.rollup)) };
        };
        for (let i = 0; i < all.length; i += 600) await store.apply(all.slice(i, i + 600), older);
        await beforeInit?.();
        const info = jest.spyOn(console, 'info').mockImplementation(() => undefined);
        try {
          await store.init(PROJECTION_LAYOUT);
          // Logged once, naming exactly the projections that were built.
          expect(info).toHaveBeenCalledTimes(1);
          for (const name of PROJECTIONS.map((p) => p.name)) expect(String(info.mock.calls[0][0]).includes(`${name} (`)).toBe(built.includes(name));
        } finally {
          info.mockRestore();
        }
        store = await recorded(store, false);
      }

      /** Every request answers as the full rollup does, and the planner did read `projection` for `request`. */
      async function expectBuilt(projection: string, request: Omit<HistoryRequest, 'range'>): Promise<void> {
        for (const each of REQUESTS) await expectSameAnswers(each);
        read = [];
        await queryHistory(store, PROJECTED, { ...request, range: RANGE }, LIMITS);
        const grains = request.granularity === 'HOUR' ? ['hour'] : ['hour', 'day'];
        expect(read).toEqual(expect.arrayContaining(grains.map((grain) => `${projection}:${grain}`)));
      }

      it('should build every projection at init from a store written before projections existed', async () => {
        await upgraded({ rollups: PROJECTION_LAYOUT.rollups.filter((r) => r.projectionOf === undefined), states: [] }, ['visits__by', 'visits__by__region']);
        await expectBuilt('visits__by', { granularity: 'DAY' });
        await expectBuilt('visits__by__region', { granularity: 'DAY', groupBy: ['region'] });
        const hourRows = async (rollup: string, groupBy: string[]) =>
          (await store.queryBuckets({ rollup, grain: 'hour', boundaries: [new Date(T0), new Date(T0 + 3 * DAY)], groupBy, filter: {} })).length;
        expect(await hourRows('visits__by__region', ['region'])).toBe(3);
        // Writes after the build go on merging into the built rows.
        const more = visits(300, 12);
        await store.apply(more, PROJECT);
        await expectBuilt('visits__by__region', { granularity: 'HOUR', groupBy: ['region'] });
      });

      it("should build a projection's day rows from the rollup's day rows where retention removed the hours", async () => {
        // Day rows outlive hour rows (retention keeps coarse grains longer): day 0 exists only as a day row.
        const cutoff = new Date(T0 + DAY);
        await upgraded(
          { rollups: PROJECTION_LAYOUT.rollups.filter((r) => r.projectionOf === undefined), states: [] },
          ['visits__by', 'visits__by__region'],
          () => store.enforceRetention({ facts: new Date(T0 - DAY), grains: { minute: cutoff, hour: cutoff } }),
        );
        await expectBuilt('visits__by', { granularity: 'DAY' });
        await expectBuilt('visits__by__region', { granularity: 'DAY', groupBy: ['region'] });
        const wholeDays = { from: new Date(T0), to: new Date(T0 + 3 * DAY) };
        await expectSameAnswers({ granularity: 'DAY' }, wholeDays);
        await expectSameAnswers({ granularity: 'DAY', groupBy: ['region'] }, wholeDays);
      });

      it('should build a projection declared later and leave the ready ones alone', async () => {
        const ungroupedOnly = storeRollupLayouts({ visits: { ...DECLARATION.rollups!.visits, projections: [] } });
        await upgraded({ rollups: ungroupedOnly, states: [] }, ['visits__by__region']);
        await expectBuilt('visits__by__region', { granularity: 'HOUR', groupBy: ['region'], filter: { region: ['eu'] } });
        await expectBuilt('visits__by', { granularity: 'DAY', filter: {} });
      });
    });

    describe('repaired', () => {
      beforeEach(async () => {
        store = await recorded(await open(PROJECTION_LAYOUT));
      });

      it('should keep projections equal to the rollup through a retraction and a restore', async () => {
        const fact = all[42];
        const retracted = await store.retract({ source: fact.source, id: fact.id }, 'test', new Date(T0 + 5 * DAY), { project: PROJECT });
        expect(retracted.revised.length).toBeGreaterThan(0);
        // Projections are internal: what a repair reports (and publishes as change events) names the rollup only.
        expect(new Set(retracted.revised.map((r) => r.rollup))).toEqual(new Set(['visits']));
        for (const request of REQUESTS.slice(0, 4)) await expectSameAnswers(request);
        const hour = { from: new Date(Math.floor(fact.time.getTime() / HOUR) * HOUR), to: new Date(Math.floor(fact.time.getTime() / HOUR) * HOUR + HOUR) };
        const without = await queryHistory(store, PROJECTED, { range: hour, granularity: 'HOUR' }, LIMITS);
        await store.restore({ source: fact.source, id: fact.id }, { project: PROJECT });
        const withIt = await queryHistory(store, PROJECTED, { range: hour, granularity: 'HOUR' }, LIMITS);
        expect(withIt.total.visits).toBe(Number(without.total.visits) + 1);
        for (const request of REQUESTS.slice(0, 4)) await expectSameAnswers(request);
      });

      it('should rebuild a rollup with its projections and refuse to rebuild a projection alone', async () => {
        // Written by an older definition (spent doubled); rebuilt with the current one.
        const stale = await open(PROJECTION_LAYOUT);
        for (let i = 0; i < all.length; i += 600) await stale.apply(all.slice(i, i + 600), createProjector(declaration(2)));
        await expect(stale.rebuild({ rollup: 'visits__by' }, { project: PROJECT })).rejects.toThrow(RangeError);
        const rebuilt = await stale.rebuild({ rollup: 'visits' }, { project: PROJECT });
        expect(rebuilt.facts).toBe(all.length);
        for (const request of REQUESTS) {
          const range = request.granularity === 'MINUTE' ? { from: new Date(T0 + DAY + 3 * HOUR), to: new Date(T0 + DAY + 5 * HOUR) } : RANGE;
          expect(await queryHistory(stale, PROJECTED, { ...request, range }, LIMITS)).toEqual(await queryHistory(store, FULL, { ...request, range }, LIMITS));
        }
      });

      it('should delete projection rows with the rollup rows past retention', async () => {
        const cutoff = new Date(T0 + DAY);
        const result = await store.enforceRetention({ facts: cutoff, grains: { minute: cutoff, hour: cutoff, day: cutoff } });
        // One day of every relation: rollup rows and the rows of both projections.
        const rows = async (rollup: string, groupBy: string[]) =>
          (await store.queryBuckets({ rollup, grain: 'day', boundaries: [new Date(T0), cutoff], groupBy, filter: {} })).length;
        expect(await rows('visits__by', [])).toBe(0);
        expect(await rows('visits__by__region', ['region'])).toBe(0);
        expect(result.rows.day).toBe(1 + 3 + 3 * 2 * 3);
        await expectSameAnswers({ granularity: 'HOUR', groupBy: ['region'] }, { from: new Date(T0), to: new Date(T0 + 3 * DAY) });
        await expectSameAnswers({ granularity: 'DAY', timeZone: ZONE }, { from: new Date(T0), to: new Date(T0 + 3 * DAY) });
      });
    });
  });
}
