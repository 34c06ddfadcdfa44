/**
 * Zone-day tables in the store contract (`subgraphs/kit/rollups/zoneDayTables.ts`): a rollup declared with
 * `dayZones: ['Europe/Paris']` keeps itself and its projections at Paris days too, and a Paris DAY, WEEK or
 * MONTH query reads them. Across both 2024 DST changes (a 23-hour and a 25-hour local day) every answer must
 * equal the same query forced onto the full rollup's hours (numbers, HyperLogLog and DDSketch alike) and the
 * counts taken from the raw facts; the zone-day table must be the one read; and a retraction, a rebuild,
 * retention and the build at init of a store that held rows before must keep it so.
 */
import { storeRollupLayouts } from '../../subgraphs/kit/rollups/storeRollupLayouts.js';
import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import { rollupProjections } from '../../subgraphs/kit/rollups/rollupProjections.js';
import { queryHistory, type HistoryRequest, type HistoryRollup } from '../../subgraphs/kit/history/queryHistory.js';
import type { BucketQuery, Projector, Store, StoreLayout, StoredFact } from '../../subgraphs/kit/store/Store.js';
import { DIMENSIONS, LIMITS, MEASURES, declaration, type Visit } from './projectionContractSuite.js';
import type { SharedStore } from './sketchContractSuite.js';
import { DAY, HOUR, MINUTE, random } from './storeFixtures.js';

const PARIS = 'Europe/Paris';
const DECLARATION = declaration(1, [PARIS]);
const PROJECT = createProjector(DECLARATION);
const LAYOUT: StoreLayout = { rollups: storeRollupLayouts(DECLARATION.rollups!), states: [] };
const ZONED: HistoryRollup = {
  name: 'visits',
  dimensions: DIMENSIONS,
  measures: { ...MEASURES },
  projections: rollupProjections('visits', DECLARATION.rollups!.visits),
  dayZones: [PARIS],
};
/** The same rollup read from its own minute, hour and day rows only. */
const FULL: HistoryRollup = { ...ZONED, projections: [], dayZones: [] };

/** Paris clocks go forward on 2024-03-31 (a 23-hour day) and back on 2024-10-27 (25 hours). */
const SPRING = Date.UTC(2024, 2, 29);
const AUTUMN = Date.UTC(2024, 9, 25);
/** Ranges that cut local days at both ends, around each change. */
const RANGES = [
  { from: new Date(SPRING + 5 * HOUR + 13 * MINUTE), to: new Date(SPRING + 3 * DAY + 19 * HOUR) },
  { from: new Date(AUTUMN + 2 * HOUR), to: new Date(AUTUMN + 4 * DAY - 3 * HOUR - 30 * MINUTE) },
];
/** Local midnights of Paris: the 23-hour 2024-03-31 and the 25-hour 2024-10-27. */
const MARCH_31 = { from: new Date('2024-03-30T23:00:00Z'), to: new Date('2024-03-31T22:00:00Z') };
const OCTOBER_27 = { from: new Date('2024-10-26T22:00:00Z'), to: new Date('2024-10-27T23:00:00Z') };

const REQUESTS: Array<Omit<HistoryRequest, 'range'>> = [
  { granularity: 'DAY', timeZone: PARIS },
  { granularity: 'DAY', timeZone: 'europe/paris', groupBy: ['region'], filter: { region: ['eu', 'apac'] } },
  { granularity: 'DAY', timeZone: PARIS, groupBy: ['channel'], compareTo: 'PREVIOUS_PERIOD', rolling: { buckets: 2 } },
  { granularity: 'WEEK', timeZone: PARIS, groupBy: ['region'], top: { by: 'visitors', limit: 2 } },
];

/** Visits spread over four UTC days around each DST change. */
function visits(count: number, seed: number, spentFactor = 1): StoredFact[] {
  const next = random(seed);
  const pick = (values: string[]) => values[Math.floor(next() * values.length)];
  return Array.from({ length: count }, (_, i) => {
    const data: Visit = {
      visitor: `v${Math.floor(next() ** 2 * 600)}`,
      region: pick(['eu', 'us', 'apac']),
      channel: pick(['web', 'app']),
      device: pick(['phone', 'desktop', 'tablet']),
      spent: (1 + Math.floor(next() * 500)) * spentFactor,
      latency: Math.round(Math.exp(next() * 6) * 100) / 100,
    };
    const time = (i % 2 === 0 ? SPRING : AUTUMN) + Math.floor(next() * 4 * DAY);
    return { source: 'web', id: `z${seed}-${i}`, type: 'Visit', time: new Date(time), data: { ...data } };
  });
}

const localDate = new Intl.DateTimeFormat('en-CA', { timeZone: PARIS, year: 'numeric', month: '2-digit', day: '2-digit' });

/** Visits and spent per Paris date, counted from the facts themselves. */
function rawByParisDay(facts: readonly StoredFact[]): Map<string, { visits: number; spent: number }> {
  const days = new Map<string, { visits: number; spent: number }>();
  for (const fact of facts) {
    const day = localDate.format(fact.time);
    const sums = days.get(day) ?? { visits: 0, spent: 0 };
    sums.visits += 1;
    sums.spent += (fact.data as unknown as Visit).spent;
    days.set(day, sums);
  }
  return days;
}

export function describeZoneDayContract(open: (layout: StoreLayout) => Promise<Store>, openShared: (layout: StoreLayout) => Promise<SharedStore>): void {
  const all = visits(800, 21);
  const load = async (store: Store, facts = all, project: Projector = PROJECT) => {
    for (let i = 0; i < facts.length; i += 300) await store.apply(facts.slice(i, i + 400), project);
  };

  describe('zone days', () => {
    let store: Store;
    let read: string[] = [];

    /** Records each bucket query the store answers as `rollup:grain`. */
    const recorded = (loaded: Store): Store => {
      const queryBuckets = loaded.queryBuckets.bind(loaded);
      loaded.queryBuckets = (query: BucketQuery) => {
        read.push(`${query.rollup}:${query.grain}`);
        return queryBuckets(query);
      };
      return loaded;
    };

    /** Every request over every range answers as the full rollup's hours do. */
    async function expectSameAnswers(requests = REQUESTS, ranges = RANGES): Promise<void> {
      for (const range of ranges) {
        for (const request of requests) {
          const zoned = await queryHistory(store, ZONED, { ...request, range }, LIMITS);
          expect(zoned).toEqual(await queryHistory(store, FULL, { ...request, range }, LIMITS));
          expect(zoned.total.visits).toBeGreaterThan(0);
        }
      }
    }

    /** Paris DAY buckets of whole local days hold exactly the raw facts' counts and sums. */
    async function expectRawCounts(facts: readonly StoredFact[], range: { from: Date; to: Date }): Promise<void> {
      const raw = rawByParisDay(facts);
      const answer = await queryHistory(store, ZONED, { range, granularity: 'DAY', timeZone: PARIS }, LIMITS);
      for (const bucket of answer.buckets) {
        const expected = raw.get(localDate.format(bucket.start)) ?? { visits: 0, spent: 0 };
        expect({ day: localDate.format(bucket.start), visits: bucket.values.visits, spent: bucket.values.spent }).toEqual({
          day: localDate.format(bucket.start),
          ...expected,
        });
      }
    }

    describe('read', () => {
      let shared: SharedStore | undefined;
      beforeAll(async () => {
        shared = await openShared(LAYOUT);
        store = recorded(shared.store);
        await load(store);
      });
      afterAll(async () => {
        await shared?.dispose();
      });

      it('should answer Paris DAY, WEEK and MONTH queries across both DST changes as the hours do, and as the raw facts count', async () => {
        await expectSameAnswers();
        await expectRawCounts(all, { from: new Date(SPRING - HOUR), to: new Date(SPRING + 4 * DAY - 2 * HOUR) });
        await expectRawCounts(all, { from: new Date(AUTUMN - 2 * HOUR), to: new Date(AUTUMN + 4 * DAY - HOUR) });
        // A MONTH query from March to November: its interior boundaries are local midnights too.
        const months = {
          range: { from: new Date(SPRING), to: new Date(AUTUMN + 5 * DAY) },
          granularity: 'MONTH' as const,
          timeZone: PARIS,
          groupBy: ['device'],
        };
        expect(await queryHistory(store, ZONED, months, LIMITS)).toEqual(await queryHistory(store, FULL, months, LIMITS));
      });

      it('should read whole local days from the zone-day table of the relation the query needs', async () => {
        const readsOf = async (request: Omit<HistoryRequest, 'range'>, range: { from: Date; to: Date }) => {
          read = [];
          await queryHistory(store, ZONED, { ...request, range }, LIMITS);
          return [...new Set(read)].sort();
        };
        const days = { from: MARCH_31.from, to: OCTOBER_27.to };
        expect(await readsOf({ granularity: 'DAY', timeZone: PARIS }, days)).toEqual(['visits__by__tz_europe_paris:day']);
        expect(await readsOf({ granularity: 'MONTH', timeZone: PARIS, groupBy: ['region'] }, days)).toEqual(['visits__by__region__tz_europe_paris:day']);
        expect(await readsOf({ granularity: 'WEEK', timeZone: PARIS, groupBy: ['channel'] }, days)).toEqual(['visits__tz_europe_paris:day']);
        // Ragged ends come from the hours and minutes; a zone not declared (same offsets) reads hours only.
        expect(await readsOf({ granularity: 'DAY', timeZone: PARIS }, RANGES[0])).toEqual(
          ['visits:minute', 'visits__by:hour', 'visits__by__tz_europe_paris:day'].sort(),
        );
        expect(await readsOf({ granularity: 'DAY', timeZone: 'Europe/Brussels' }, days)).toEqual(['visits__by:hour']);
        expect(await readsOf({ granularity: 'HOUR', timeZone: PARIS }, days)).toEqual(['visits__by:hour']);

        // One row per local day, 23 and 25 hours long: keyed by the local midnight.
        const bucketsOf = async (day: { from: Date; to: Date }) =>
          (await store.queryBuckets({ rollup: 'visits__by__tz_europe_paris', grain: 'day', boundaries: [day.from, day.to], groupBy: [], filter: {} })).map(
            (row) => row.values.visits,
          );
        const counts = rawByParisDay(all);
        expect(await bucketsOf(MARCH_31)).toEqual([counts.get('2024-03-31')!.visits]);
        expect(await bucketsOf(OCTOBER_27)).toEqual([counts.get('2024-10-27')!.visits]);
      });
    });

    describe('repaired', () => {
      beforeEach(async () => {
        store = recorded(await open(LAYOUT));
      });

      it('should keep zone days equal to the hours through a retraction and a restore in a 23-hour day', async () => {
        const fact = all.find((f) => f.time.getTime() >= MARCH_31.from.getTime() + 20 * HOUR && f.time.getTime() < MARCH_31.to.getTime())!;
        await load(store);
        await store.retract({ source: fact.source, id: fact.id }, 'test', new Date(), { project: PROJECT });
        await expectSameAnswers(REQUESTS.slice(0, 2), [RANGES[0]]);
        await expectRawCounts(
          all.filter((f) => f !== fact),
          MARCH_31,
        );
        await store.restore({ source: fact.source, id: fact.id }, { project: PROJECT });
        await expectSameAnswers(REQUESTS.slice(0, 2), [RANGES[0]]);
        await expectRawCounts(all, MARCH_31);
      });

      it('should rebuild zone days with their rollup', async () => {
        // Written by an older definition (spent doubled), then rebuilt with the current one (autumn only:
        // a rebuild runs a transaction per UTC day from the first fact to the last).
        const autumn = all.filter((f) => f.time.getTime() >= AUTUMN);
        await load(store, autumn, createProjector(declaration(2, [PARIS])));
        await store.rebuild({ rollup: 'visits' }, { project: PROJECT });
        await expectSameAnswers(REQUESTS.slice(0, 3), [RANGES[1]]);
        await expectRawCounts(autumn, { from: new Date(AUTUMN - 2 * HOUR), to: new Date(AUTUMN + 4 * DAY - HOUR) });
      });

      it('should cut zone days by local day at retention, keeping the hours of the local day holding the cutoff', async () => {
        await load(store);
        // 00:00 UTC is 01:00 in Paris: the local day holding it started at 23:00 UTC the day before.
        const cutoff = new Date(Date.UTC(2024, 2, 31));
        await store.enforceRetention({ facts: new Date(SPRING), grains: { minute: cutoff, hour: cutoff, day: cutoff } });
        const rows = async (rollup: string, grain: 'hour' | 'day', from: Date, to: Date) =>
          (await store.queryBuckets({ rollup, grain, boundaries: [from, to], groupBy: [], filter: {} })).length;
        expect(await rows('visits__by__tz_europe_paris', 'day', new Date(SPRING - DAY - HOUR), MARCH_31.from)).toBe(0);
        expect(await rows('visits__by__tz_europe_paris', 'day', MARCH_31.from, MARCH_31.to)).toBe(1);
        expect(await rows('visits__by', 'hour', MARCH_31.from, cutoff)).toBe(1);
        expect(await rows('visits__by', 'hour', new Date(SPRING), MARCH_31.from)).toBe(0);
        // A repair later in that day derives it again from whole hours.
        const fact = all.find((f) => f.time.getTime() >= cutoff.getTime() + 2 * HOUR && f.time.getTime() < MARCH_31.to.getTime())!;
        await store.retract({ source: fact.source, id: fact.id }, 'test', new Date(), { project: PROJECT });
        await expectRawCounts(
          all.filter((f) => f !== fact),
          MARCH_31,
        );
        await expectSameAnswers(REQUESTS.slice(0, 2), [{ from: MARCH_31.from, to: new Date(SPRING + 4 * DAY) }]);
      });
    });

    it('should build the zone-day tables at init of a store that held rows before they were declared', async () => {
      const older = { rollups: LAYOUT.rollups.filter((layout) => !layout.dayZone), states: [] };
      store = await open(older);
      const known = new Set(older.rollups.map((layout) => layout.name));
      const project: Projector = async (facts, states, options) => {
        const projection = await PROJECT(facts, states, options);
        return { ...projection, deltas: projection.deltas.filter((d) => known.has(d.rollup)) };
      };
      await load(store, all, project);
      const info = jest.spyOn(console, 'info').mockImplementation(() => undefined);
      try {
        await store.init(LAYOUT);
        expect(info).toHaveBeenCalledTimes(1);
        for (const table of ['visits__tz_europe_paris', 'visits__by__tz_europe_paris', 'visits__by__region__tz_europe_paris'])
          expect(String(info.mock.calls[0][0])).toContain(`${table} (`);
      } finally {
        info.mockRestore();
      }
      store = recorded(store);
      read = [];
      await expectSameAnswers(REQUESTS.slice(0, 3));
      expect(read).toEqual(
        expect.arrayContaining(['visits__by__tz_europe_paris:day', 'visits__by__region__tz_europe_paris:day', 'visits__tz_europe_paris:day']),
      );
      // Facts after the build go on merging into the built rows.
      const more = visits(200, 22);
      await load(store, more);
      await expectRawCounts([...all, ...more], { from: new Date(SPRING - HOUR), to: new Date(SPRING + 4 * DAY - 2 * HOUR) });
    });
  });
}
