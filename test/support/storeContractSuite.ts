/**
 * The `Store` contract as one suite every implementation runs, plus the fixtures (an `orders` layout,
 * facts, projectors, a reference aggregation) its implementation-specific tests reuse. A behaviour that
 * every store must show belongs here, so the two stores cannot drift apart unnoticed.
 */
import { InvalidIdentifierError } from '../../subgraphs/kit/store/storeIdentifiers.js';
import { describeRepairContract } from './repairContractSuite.js';
import { describeEventTimeContract } from './eventTimeContractSuite.js';
import { describeRetentionContract } from './retentionContractSuite.js';
import { describeSketchContract, type SharedStore } from './sketchContractSuite.js';
import { describeProjectionContract } from './projectionContractSuite.js';
import { describeZoneDayContract } from './zoneDayContractSuite.js';
import type { BucketQuery, BucketRow, Projection, Store, StoreLayout, StoredFact } from '../../subgraphs/kit/store/Store.js';
import { HOUR, LAYOUT, MINUTE, T0, delta, deltasProjector, expectedRows, order, orderDeltas, projectOrders, query, random, sortRows } from './storeFixtures.js';

export * from './storeFixtures.js';
export type { SharedStore } from './sketchContractSuite.js';

/** A store as the suite opens it: not yet initialized, on storage no other test uses. */
export type OpenStore = () => Promise<Store & { close(): Promise<void> }>;

/** Options of `describeStoreContract`. */
export interface StoreContractOptions {
  /**
   * Declares the suite, e.g. `describeIfPostgres` so it is skipped loudly when its server is unreachable.
   * @default describe
   */
  describe?: jest.Describe;
  /**
   * Runs after each test, once every store the test opened is closed, e.g. to drop their schemas. A throw
   * fails the test.
   * @default no-op
   */
  afterEach?: () => Promise<void>;
  /**
   * Opens a fresh, uninitialized store that outlives one test, on storage the per-test `afterEach` leaves
   * alone: tests that only read share one store loaded once (the sketch tests load thousands of facts).
   * Called in a `beforeAll`, disposed in the matching `afterAll`; a throw fails the tests that share it.
   * @default `openStore`, disposed by closing it
   */
  openShared?: () => Promise<SharedStore>;
}

/**
 * Declares the contract tests under `name`. `openStore` must give a fresh, uninitialized store on storage
 * of its own; the suite initializes it with `LAYOUT` and closes every store it opened after each test.
 */
export function describeStoreContract(name: string, openStore: OpenStore, options: StoreContractOptions = {}): void {
  const {
    describe: declare = describe,
    afterEach: cleanUp = async () => undefined,
    openShared = async () => {
      const fresh = await openStore();
      return { store: fresh, dispose: () => fresh.close() };
    },
  } = options;

  declare(name, () => {
    /** Stores opened by the current test, closed after it. */
    let opened: Store[] = [];
    let store: Store;

    async function open(layout: StoreLayout | null = LAYOUT): Promise<Store> {
      const fresh = await openStore();
      opened.push(fresh);
      if (layout) await fresh.init(layout);
      return fresh;
    }

    beforeEach(async () => {
      opened = [];
      store = await open();
    });
    afterEach(async () => {
      await Promise.all(opened.map((s) => s.close()));
      await cleanUp();
    });

    describe('init', () => {
      it('should refuse other operations until init has completed', async () => {
        const fresh = await open(null);
        await expect(fresh.apply([order('a', T0)], projectOrders)).rejects.toThrow(/init must complete/);
        await expect(fresh.watermark()).rejects.toThrow(/init must complete/);
      });

      it('should add measure columns to an existing rollup but refuse changed dimensions', async () => {
        await store.apply([order('a', T0)], projectOrders);
        const wider = { ...LAYOUT, rollups: [{ ...LAYOUT.rollups[0], columns: { ...LAYOUT.rollups[0].columns, tax: 'sum' as const } }] };
        await store.init(wider);
        await store.apply([order('b', T0)], async () => ({ deltas: [delta(T0, { amount: 5, tax: 2 })], states: [] }));
        expect(await store.queryBuckets(query([T0, T0 + MINUTE]))).toEqual([
          { bucket: 0, group: {}, values: { amount: 15, count: 1, low: 10, high: 10, tax: 2 } },
        ]);

        const regrouped = { ...LAYOUT, rollups: [{ ...LAYOUT.rollups[0], dimensions: ['region'] }] };
        await expect(store.init(regrouped)).rejects.toThrow(/dimensions of an existing rollup cannot change/);
      });

      it('should refuse names that are not safe identifiers', async () => {
        const bad = (rollup: Partial<StoreLayout['rollups'][0]>, states: string[] = []) =>
          store.init({ rollups: [{ name: 'ok', dimensions: [], columns: {}, ...rollup }], states });
        await expect(bad({ name: 'Orders' })).rejects.toThrow(InvalidIdentifierError);
        await expect(bad({ dimensions: ['region"; DROP TABLE facts; --'] })).rejects.toThrow(/invalid dimension name/);
        await expect(bad({ columns: { 'total amount': 'sum' } })).rejects.toThrow(/invalid column name/);
        await expect(bad({ columns: { bucket: 'sum' } })).rejects.toThrow(/reserved/);
        await expect(bad({ dimensions: ['x'], columns: { x: 'sum' } })).rejects.toThrow(/used twice/);
        await expect(bad({}, ['1st'])).rejects.toThrow(/invalid state name/);
        await expect(store.queryBuckets(query([T0, T0 + HOUR], { groupBy: ['product'] }))).rejects.toThrow(InvalidIdentifierError);
        await expect(store.readStates('nope', ['a'])).rejects.toThrow(InvalidIdentifierError);
      });
    });

    describe('apply', () => {
      it('should apply only facts not stored before, in input order, and report the rest as duplicates', async () => {
        const calls: StoredFact[][] = [];
        const [a, b, c] = [order('a', T0), order('b', T0 + MINUTE), order('c', T0 + 2 * MINUTE)];
        await store.apply([a, b], deltasProjector([], calls));
        const result = await store.apply([c, a, b], deltasProjector([], calls));

        expect(result.applied).toEqual([c]);
        expect(result.duplicates).toEqual([a, b]);
        expect(calls).toEqual([[a, b], [c]]);
        expect(await store.factCount()).toBe(3);
      });

      it('should count a key repeated within one batch as one applied fact and one duplicate', async () => {
        const first = order('a', T0, { amount: 1 });
        const again = order('a', T0, { amount: 999 });
        const result = await store.apply([first, order('b', T0), again], projectOrders);

        expect(result.applied.map((f) => f.id)).toEqual(['a', 'b']);
        expect(result.duplicates).toEqual([again]);
        expect(await store.factCount()).toBe(2);
        const [row] = await store.queryBuckets(query([T0, T0 + MINUTE]));
        expect(row.values).toEqual({ amount: 11, count: 2, low: 1, high: 10 });
      });

      it('should tell apart keys whose source and id only concatenate alike', async () => {
        const result = await store.apply(
          [
            { ...order('bc', T0), source: 'a' },
            { ...order('c', T0), source: 'ab' },
          ],
          deltasProjector([]),
        );
        expect(result.applied).toHaveLength(2);
      });

      it('should not call the projector when every fact is a duplicate', async () => {
        await store.apply([order('a', T0)], projectOrders);
        const project = jest.fn(projectOrders);
        const result = await store.apply([order('a', T0)], project);
        expect(project).not.toHaveBeenCalled();
        expect(result).toEqual({ applied: [], duplicates: [order('a', T0)], projection: { deltas: [], states: [] } });
      });

      it('should write nothing when the projector throws, and accept the same facts afterwards', async () => {
        await expect(
          store.apply([order('a', T0), order('b', T0 + HOUR)], async (facts, states) => {
            await states.read('stock', ['p1']);
            throw new Error('projector failed');
          }),
        ).rejects.toThrow('projector failed');

        expect(await store.factCount()).toBe(0);
        expect(await store.watermark()).toBeNull();
        expect(await store.queryBuckets(query([T0, T0 + 2 * HOUR]))).toEqual([]);

        const result = await store.apply([order('a', T0), order('b', T0 + HOUR)], projectOrders);
        expect(result.applied).toHaveLength(2);
      });

      it('should roll back every write when the projection is invalid', async () => {
        await store.apply([order('a', T0)], projectOrders);
        const bad: Projection = {
          deltas: [delta(T0, { amount: 5 }), { ...delta(T0, { amount: 1 }), rollup: 'unknown' }],
          states: [{ state: 'stock', key: 'p1', value: { sold: 100 }, updatedAt: new Date(T0) }],
        };
        await expect(store.apply([order('b', T0 + HOUR)], async () => bad)).rejects.toThrow(/unknown rollup/);
        await expect(store.apply([order('b', T0 + HOUR)], async () => ({ deltas: [delta(T0 + 30_000, { amount: 1 })], states: [] }))).rejects.toThrow(
          /not truncated to the minute/,
        );
        await expect(store.apply([order('b', T0 + HOUR)], async () => ({ deltas: [delta(T0, { tax: 1 })], states: [] }))).rejects.toThrow(/unknown column/);
        // Fails only after the rollup rows were written inside the transaction.
        const lateFailure: Projection = { deltas: [delta(T0, { amount: 5 })], states: [{ state: 'unknown', key: 'k', value: {}, updatedAt: new Date(T0) }] };
        await expect(store.apply([order('b', T0 + HOUR)], async () => lateFailure)).rejects.toThrow(/unknown state/);

        await expectOnlyOrderA(store);
      });

      it('should let the projector read state committed by earlier batches', async () => {
        await store.apply([order('a', T0), order('b', T0)], projectOrders);
        await store.apply([order('c', T0 + MINUTE), order('d', T0 + MINUTE, { product: 'p2' })], projectOrders);
        const rows = await store.readStates('stock', ['p1', 'p2']);
        expect(rows.map((r) => [r.key, r.value])).toEqual([
          ['p1', { sold: 3, status: 'hot' }],
          ['p2', { sold: 1, status: 'cold' }],
        ]);
      });

      it('should answer queries while an apply is in progress, from the last committed state', async () => {
        await store.apply([order('a', T0)], projectOrders);
        let release!: () => void;
        let entered!: () => void;
        const inside = new Promise<void>((resolve) => (entered = resolve));
        const held = new Promise<void>((resolve) => (release = resolve));
        const applying = store.apply([order('b', T0 + MINUTE)], async (facts, states) => {
          entered();
          await held;
          return projectOrders(facts, states);
        });
        await inside;

        const [rows, count, watermark] = await Promise.all([store.queryBuckets(query([T0, T0 + HOUR])), store.factCount(), store.watermark()]);
        release();
        await applying;

        expect(rows[0].values.count).toBe(1);
        expect(count).toBe(1);
        expect(watermark).toEqual(new Date(T0));
        expect((await store.queryBuckets(query([T0, T0 + HOUR])))[0].values.count).toBe(2);
      });

      it('should stay exact under concurrent callers', async () => {
        const batches = Array.from({ length: 8 }, (_, b) => Array.from({ length: 25 }, (_, i) => order(`${b}-${i}`, T0 + i * MINUTE)));
        await Promise.all([
          ...batches.map((batch) => store.apply(batch, projectOrders)),
          ...batches.map(() => store.queryBuckets(query([T0, T0 + HOUR]))),
          store.apply(batches[0], projectOrders), // all duplicates, racing with the first apply
        ]);
        expect(await store.factCount()).toBe(200);
        const [row] = await store.queryBuckets(query([T0, T0 + HOUR]));
        expect(row.values.count).toBe(200);
        // Every apply read-modified-wrote the same key: a lost update would show here.
        expect((await store.readStates('stock', ['p1']))[0].value).toEqual({ sold: 200, status: 'hot' });
      });
    });

    describe('merging rollup rows', () => {
      it('should sum, take min and max, and let absent columns contribute nothing', async () => {
        const eu = { region: 'eu', channel: 'web' };
        const us = { region: 'us', channel: 'web' };
        // Within one batch: the same key twice, one delta lacking min/max, one lacking the sums.
        await store.apply(
          [order('a', T0)],
          deltasProjector([delta(T0, { amount: 5, count: 1 }, eu), delta(T0, { amount: 7, count: 1, low: 3, high: 3 }, eu), delta(T0, { low: 8 }, us)]),
        );
        // Across batches: a lower min, no max, and a row that only ever gets sums.
        await store.apply(
          [order('b', T0)],
          deltasProjector([
            delta(T0, { amount: 1, low: 2 }, eu),
            delta(T0, { high: 9, amount: 4 }, us),
            delta(T0, { count: 2 }, { region: 'apac', channel: 'web' }),
          ]),
        );

        const rows = await store.queryBuckets(query([T0, T0 + MINUTE], { groupBy: ['region'] }));
        expect(rows).toEqual([
          { bucket: 0, group: { region: 'apac' }, values: { amount: 0, count: 2, low: null, high: null } },
          { bucket: 0, group: { region: 'eu' }, values: { amount: 13, count: 2, low: 2, high: 3 } },
          { bucket: 0, group: { region: 'us' }, values: { amount: 4, count: 0, low: 8, high: 9 } },
        ]);
      });

      it('should store a missing dimension as an empty string', async () => {
        await store.apply([order('a', T0)], deltasProjector([delta(T0, { count: 1 }, { region: 'eu' })]));
        const rows = await store.queryBuckets(query([T0, T0 + MINUTE], { groupBy: ['region', 'channel'] }));
        expect(rows.map((r) => r.group)).toEqual([{ region: 'eu', channel: '' }]);
      });
    });

    describe('queryBuckets', () => {
      const next = random(42);
      const pick = <T>(values: T[]) => values[Math.floor(next() * values.length)];
      const facts = Array.from({ length: 600 }, (_, i) =>
        order(`o${i}`, T0 + Math.floor(next() * 6 * HOUR), {
          region: pick(['eu', 'us', 'apac']),
          channel: pick(['web', 'app', 'store']),
          amount: Math.round(next() * 1000) / 10,
        }),
      );
      const deltas = facts.flatMap(orderDeltas);

      beforeEach(async () => {
        for (let i = 0; i < facts.length; i += 70) await store.apply(facts.slice(i, i + 70), projectOrders);
      });

      const cases: [string, BucketQuery][] = [
        ['half hours from minutes, no grouping', query(Array.from({ length: 13 }, (_, i) => T0 + i * 30 * MINUTE))],
        [
          'half hours grouped by region, filtered by channel',
          query(
            Array.from({ length: 13 }, (_, i) => T0 + i * 30 * MINUTE),
            { groupBy: ['region'], filter: { channel: ['web', 'app'] } },
          ),
        ],
        [
          'uneven buckets grouped by both dimensions',
          query([T0 + 10 * MINUTE, T0 + 70 * MINUTE, T0 + 90 * MINUTE, T0 + 4 * HOUR, T0 + 5 * HOUR + 59 * MINUTE], { groupBy: ['channel', 'region'] }),
        ],
        [
          'hours from the hour grain, filtered by two dimensions',
          query(
            Array.from({ length: 7 }, (_, i) => T0 + i * HOUR),
            { grain: 'hour', groupBy: ['channel'], filter: { region: ['eu'], channel: ['store', 'web'] } },
          ),
        ],
        ['one uneven bucket pair from the hour grain', query([T0 + HOUR, T0 + 2 * HOUR, T0 + 5 * HOUR], { grain: 'hour' })],
      ];

      it.each(cases)('should match totals computed from the raw deltas: %s', async (_, q) => {
        const expected = expectedRows(deltas, q);
        expect(expected.length).toBeGreaterThan(1);
        // Sums of decimals may differ in the last bits with the order of addition.
        const rounded = (rows: BucketRow[]) => rows.map((r) => ({ ...r, values: { ...r.values, amount: Math.round(r.values.amount! * 1e6) / 1e6 } }));
        expect(rounded(sortRows(await store.queryBuckets(q)))).toEqual(rounded(expected));
      });

      it('should return rows ordered by bucket and leave buckets without rows out', async () => {
        const q = query([T0 - 2 * HOUR, T0 - HOUR, T0, T0 + HOUR, T0 + 7 * HOUR, T0 + 8 * HOUR], { grain: 'hour' });
        const rows = await store.queryBuckets(q);
        expect(rows.map((r) => r.bucket)).toEqual([2, 3]);
        expect(rows[1].values.count).toBe(facts.filter((f) => f.time.getTime() >= T0 + HOUR).length);
      });

      it('should match nothing for an empty filter list, and nothing for fewer than two boundaries', async () => {
        expect(await store.queryBuckets(query([T0, T0 + HOUR], { filter: { region: [] } }))).toEqual([]);
        expect(await store.queryBuckets(query([T0]))).toEqual([]);
      });

      it('should pass filter values as parameters, not SQL', async () => {
        const rows = await store.queryBuckets(query([T0, T0 + 6 * HOUR], { filter: { region: ["eu' OR '1'='1"] } }));
        expect(rows).toEqual([]);
      });

      it('should refuse boundaries that are unordered or not aligned to the grain', async () => {
        await expect(store.queryBuckets(query([T0 + HOUR, T0]))).rejects.toThrow(/strictly ascending/);
        await expect(store.queryBuckets(query([T0, T0 + 30 * MINUTE], { grain: 'hour' }))).rejects.toThrow(/not aligned to the hour/);
      });
    });

    describe('states', () => {
      beforeEach(async () => {
        const value = (n: number, status: string) => ({ n, status, 'a/b~c': status === 'hot' ? 'x' : 'y' });
        await store.apply([order('a', T0)], async () => ({
          deltas: [],
          states: ['k3', 'k1', 'k5', 'k2', 'k4'].map((key, i) => ({
            state: 'stock',
            key,
            value: value(i, i % 2 ? 'hot' : 'cold'),
            updatedAt: new Date(T0 + i * MINUTE),
          })),
        }));
      });

      it('should read the requested keys and leave missing ones out', async () => {
        const rows = await store.readStates('stock', ['k1', 'missing', 'k3']);
        expect(rows).toEqual([
          { key: 'k1', value: { n: 1, status: 'hot', 'a/b~c': 'x' }, updatedAt: new Date(T0 + MINUTE) },
          { key: 'k3', value: { n: 0, status: 'cold', 'a/b~c': 'y' }, updatedAt: new Date(T0) },
        ]);
        expect(await store.readStates('stock', [])).toEqual([]);
      });

      it('should page through keys in order', async () => {
        const page1 = await store.listStates({ state: 'stock', limit: 2 });
        const page2 = await store.listStates({ state: 'stock', limit: 2, afterKey: page1.at(-1)!.key });
        const page3 = await store.listStates({ state: 'stock', limit: 2, afterKey: page2.at(-1)!.key });
        expect([page1, page2, page3].map((page) => page.map((r) => r.key))).toEqual([['k1', 'k2'], ['k3', 'k4'], ['k5']]);
      });

      it('should filter by top-level string fields of the value', async () => {
        const hot = await store.listStates({ state: 'stock', limit: 10, where: { status: 'hot' } });
        expect(hot.map((r) => r.key)).toEqual(['k1', 'k2']);
        // A field name with JSON-pointer specials, combined with another field and paging.
        const cold = await store.listStates({ state: 'stock', limit: 10, where: { 'a/b~c': 'y', status: 'cold' }, afterKey: 'k3' });
        expect(cold.map((r) => r.key)).toEqual(['k4', 'k5']);
        expect(await store.listStates({ state: 'stock', limit: 10, where: { 'a/b~c': 'x', status: 'cold' } })).toEqual([]);
        expect(await store.listStates({ state: 'stock', limit: 10, where: { "status' OR '1'='1": 'hot' } })).toEqual([]);
      });

      it('should keep the last write for a key within one batch and overwrite across batches', async () => {
        const write = (sold: number, at: number) => ({ state: 'stock', key: 'k1', value: { sold }, updatedAt: new Date(at) });
        await store.apply([order('b', T0)], async () => ({ deltas: [], states: [write(1, T0 + HOUR), write(2, T0 + 2 * HOUR)] }));
        expect(await store.readStates('stock', ['k1'])).toEqual([{ key: 'k1', value: { sold: 2 }, updatedAt: new Date(T0 + 2 * HOUR) }]);
      });
    });

    it('should track the latest applied event time as the watermark, also when late facts arrive', async () => {
      expect(await store.watermark()).toBeNull();
      await store.apply([order('a', T0 + 3 * HOUR), order('b', T0 + HOUR)], projectOrders);
      expect(await store.watermark()).toEqual(new Date(T0 + 3 * HOUR));
      await store.apply([order('c', T0 + 2 * HOUR)], projectOrders);
      expect(await store.watermark()).toEqual(new Date(T0 + 3 * HOUR));
      await store.apply([order('d', T0 + 3 * HOUR + 1)], projectOrders);
      expect(await store.watermark()).toEqual(new Date(T0 + 3 * HOUR + 1));
    });

    it('should answer the same after settle, and keep taking facts after it', async () => {
      const facts = Array.from({ length: 40 }, (_, i) => order(`s${i}`, T0 + (i % 7) * 10 * MINUTE));
      await store.apply(facts.slice(0, 20), projectOrders);
      await store.apply(facts.slice(20), projectOrders); // the same rows upserted again
      const q = query([T0, T0 + HOUR, T0 + 2 * HOUR], { grain: 'minute', groupBy: ['region'] });

      await store.settle();

      expect(await store.queryBuckets(q)).toEqual(expectedRows(facts.flatMap(orderDeltas), q));
      await store.apply([order('after', T0 + 5 * MINUTE)], projectOrders);
      await store.settle();
      expect(await store.queryBuckets(q)).toEqual(expectedRows([...facts, order('after', T0 + 5 * MINUTE)].flatMap(orderDeltas), q));
    });

    it('should leave the watermark where it was when a later batch fails', async () => {
      await store.apply([order('a', T0)], projectOrders);
      const failing = store.apply([order('b', T0 + HOUR)], async () => {
        throw new Error('projector failed');
      });
      await expect(failing).rejects.toThrow('projector failed');
      expect(await store.watermark()).toEqual(new Date(T0));
      await store.apply([order('b', T0 + HOUR)], projectOrders); // the same fact, not a duplicate: nothing of it was kept
      expect(await store.watermark()).toEqual(new Date(T0 + HOUR));
    });

    it('should keep dead letters and list the newest first', async () => {
      const letter = (i: number, extra = {}) => ({
        receivedAt: new Date(T0 + i * MINUTE),
        source: 'shop',
        id: `e${i}`,
        type: 'OrderPlaced',
        reason: `bad ${i}`,
        event: { id: `e${i}`, nested: [1, { x: null }] },
        ...extra,
      });
      await store.recordDeadLetter(letter(1));
      await store.recordDeadLetter(letter(3, { source: null, id: null, type: null, event: 'not even an object' }));
      await store.recordDeadLetter(letter(2));

      expect(await store.deadLetters(2)).toEqual([letter(3, { source: null, id: null, type: null, event: 'not even an object' }), letter(2)]);
      expect((await store.deadLetters(10)).map((l) => l.id)).toEqual([null, 'e2', 'e1']);
    });

    describeRepairContract(() => open());
    describeEventTimeContract(() => open());
    describeRetentionContract(() => open());
    const openSharedLayout = async (layout: StoreLayout): Promise<SharedStore> => {
      const shared = await openShared();
      try {
        await shared.store.init(layout);
      } catch (error) {
        await shared.dispose();
        throw error;
      }
      return shared;
    };
    describeSketchContract((layout) => open(layout), openSharedLayout);
    describeProjectionContract((layout) => open(layout), openSharedLayout);
    describeZoneDayContract((layout) => open(layout), openSharedLayout);

    it('should reject operations after close', async () => {
      const closed = await open();
      await closed.close();
      await closed.close();
      await expect(closed.factCount()).rejects.toThrow(/closed/);
    });
  });
}

/**
 * What a store holds after `apply([order('a', T0)], projectOrders)` and nothing else: the check that a
 * failed batch left no trace.
 */
export async function expectOnlyOrderA(store: Store): Promise<void> {
  expect(await store.factCount()).toBe(1);
  expect(await store.watermark()).toEqual(new Date(T0));
  expect((await store.readStates('stock', ['p1']))[0].value).toEqual({ sold: 1, status: 'cold' });
  expect((await store.queryBuckets(query([T0, T0 + MINUTE])))[0].values).toEqual({ amount: 10, count: 1, low: 10, high: 10 });
}
