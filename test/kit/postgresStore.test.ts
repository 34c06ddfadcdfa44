import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'graphql';
import { z } from 'zod';
import { defineDataProduct } from '../../subgraphs/kit/defineDataProduct.js';
import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import { rollupLayout } from '../../subgraphs/kit/rollups/rollupLayout.js';
import { PostgresStore, type PostgresStoreOptions } from '../../subgraphs/kit/store/PostgresStore.js';
import { InvalidIdentifierError } from '../../subgraphs/kit/store/storeIdentifiers.js';
import { STORED_GRAINS } from '../../subgraphs/kit/store/Store.js';
import type {
  BucketQuery,
  BucketRow,
  Projection,
  Projector,
  RollupDelta,
  StoreLayout,
  StoredFact,
  StoredGrain,
} from '../../subgraphs/kit/store/Store.js';
import { deferred } from '../support/asyncWait.js';
import { POSTGRES_TEST_URL, describeIfPostgres, dropSchemas, queryPostgres, uniqueSchema } from '../support/postgresAvailable.js';

const T0 = Date.UTC(2024, 2, 1); // a Friday, 00:00 UTC
const MINUTE = 60_000;
const HOUR = 3_600_000;

const LAYOUT: StoreLayout = {
  rollups: [{ name: 'orders', dimensions: ['region', 'channel'], columns: { amount: 'sum', count: 'sum', low: 'min', high: 'max' } }],
  states: ['stock'],
};

// --- harness -------------------------------------------------------------------------------------------

/** Schemas created by the current test, dropped after it. */
let schemas: string[] = [];
/** Stores opened by the current test, closed after it. */
let opened: PostgresStore[] = [];

async function openStore(schema: string, layout: StoreLayout | null = LAYOUT, options: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> {
  if (!schemas.includes(schema)) schemas.push(schema);
  const store = await PostgresStore.open({ url: POSTGRES_TEST_URL, schema, ...options });
  opened.push(store);
  if (layout) await store.init(layout);
  return store;
}

let schema: string;
let store: PostgresStore;

interface OrderData {
  region: string;
  channel: string;
  product: string;
  amount: number;
}

function order(id: string, atMs: number, data: Partial<OrderData> = {}): StoredFact {
  const full: OrderData = { region: 'eu', channel: 'web', product: 'p1', amount: 10, ...data };
  return { source: 'shop', id, type: 'OrderPlaced', time: new Date(atMs), data: { ...full } };
}

const truncate = (ms: number, grain: StoredGrain) => new Date(ms - (ms % (grain === 'minute' ? MINUTE : HOUR)));

/** What one order contributes at one grain; the tests compute expectations from these very deltas. */
function orderDeltas(fact: StoredFact): RollupDelta[] {
  const { region, channel, amount } = fact.data as unknown as OrderData;
  return (['minute', 'hour'] as const).map((grain) => ({
    rollup: 'orders',
    grain,
    bucket: truncate(fact.time.getTime(), grain),
    dims: { region, channel },
    values: { amount, count: 1, low: amount, high: amount },
  }));
}

/** Orders project into rollup deltas and a running per-product count read through the StateReader. */
const projectOrders: Projector = async (facts, states) => {
  const productOf = (fact: StoredFact) => (fact.data as unknown as OrderData).product;
  const products = [...new Set(facts.map(productOf))];
  const current = await states.read('stock', products);
  const counts = new Map(products.map((p) => [p, Number(current.get(p)?.sold ?? 0)]));
  for (const fact of facts) counts.set(productOf(fact), counts.get(productOf(fact))! + 1);
  return {
    deltas: facts.flatMap(orderDeltas),
    states: [...counts].map(([key, sold]) => ({ state: 'stock', key, value: { sold, status: sold > 2 ? 'hot' : 'cold' }, updatedAt: facts.at(-1)!.time })),
  };
};

/** A projector that writes exactly the given deltas (and records what it was called with). */
function deltasProjector(deltas: RollupDelta[], calls: StoredFact[][] = []): Projector {
  return async (facts) => {
    calls.push(facts);
    return { deltas, states: [] };
  };
}

function delta(bucketMs: number, values: Record<string, number>, dims: Record<string, string> = { region: 'eu', channel: 'web' }): RollupDelta {
  return { rollup: 'orders', grain: 'minute', bucket: new Date(bucketMs), dims, values };
}

function query(boundariesMs: number[], extra: Partial<BucketQuery> = {}): BucketQuery {
  return { rollup: 'orders', grain: 'minute', boundaries: boundariesMs.map((ms) => new Date(ms)), groupBy: [], filter: {}, ...extra };
}

/** Independent reference: aggregates raw deltas into the query's buckets in plain JS. */
function expectedRows(deltas: RollupDelta[], q: BucketQuery): BucketRow[] {
  const rows = new Map<string, BucketRow>();
  for (const d of deltas) {
    if (d.grain !== q.grain) continue;
    const t = d.bucket.getTime();
    const index = q.boundaries.findIndex((b, i) => i + 1 < q.boundaries.length && t >= b.getTime() && t < q.boundaries[i + 1].getTime());
    if (index < 0) continue;
    if (Object.entries(q.filter).some(([dim, values]) => !values.includes(d.dims[dim] ?? ''))) continue;
    const group = Object.fromEntries(q.groupBy.map((dim) => [dim, d.dims[dim] ?? '']));
    const key = JSON.stringify([index, group]);
    const row = rows.get(key) ?? { bucket: index, group, values: { amount: 0, count: 0, low: null, high: null } };
    const v = row.values;
    v.amount! += d.values.amount ?? 0;
    v.count! += d.values.count ?? 0;
    if (d.values.low !== undefined) v.low = v.low === null ? d.values.low : Math.min(v.low, d.values.low);
    if (d.values.high !== undefined) v.high = v.high === null ? d.values.high : Math.max(v.high, d.values.high);
    rows.set(key, row);
  }
  return sortRows([...rows.values()]);
}

function sortRows(rows: BucketRow[]): BucketRow[] {
  return [...rows].sort((a, b) => a.bucket - b.bucket || JSON.stringify(a.group).localeCompare(JSON.stringify(b.group)));
}

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every row of a table, in its key order, for comparing two schemas exactly. */
function tableRows(schemaName: string, table: string, orderBy: string): Promise<Record<string, unknown>[]> {
  return queryPostgres(`SELECT * FROM "${schemaName}"."${table}" ORDER BY ${orderBy}`);
}

// --- tests ---------------------------------------------------------------------------------------------

describeIfPostgres('PostgresStore', () => {
  beforeEach(async () => {
    schemas = [];
    opened = [];
    schema = uniqueSchema();
    store = await openStore(schema);
  });
  afterEach(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await dropSchemas(...schemas);
  });

  describe('init', () => {
    it('should be idempotent and keep data across reopening the schema', async () => {
      await store.init(LAYOUT);
      await store.apply([order('a', T0 + 5 * MINUTE)], projectOrders);
      await store.close();

      const second = await openStore(schema);
      expect(await second.factCount()).toBe(1);
      expect(await second.watermark()).toEqual(new Date(T0 + 5 * MINUTE));
      expect(await second.queryBuckets(query([T0, T0 + HOUR]))).toEqual([
        { bucket: 0, group: {}, values: { amount: 10, count: 1, low: 10, high: 10 } },
      ]);
    });

    it('should let replicas initialize the same new schema at the same time', async () => {
      const fresh = uniqueSchema();
      const replicas = await Promise.all(Array.from({ length: 4 }, () => openStore(fresh, null)));
      await Promise.all(replicas.flatMap((replica) => [replica.init(LAYOUT), replica.init(LAYOUT)]));

      const tables = await queryPostgres<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY 1`, [fresh]);
      expect(tables.map((t) => t.name)).toEqual([
        'dead_letters', 'facts', 'meta', 'rollup_orders_day', 'rollup_orders_hour', 'rollup_orders_minute', 'state_stock',
      ]);
      expect(await queryPostgres(`SELECT id, watermark FROM "${fresh}".meta`)).toEqual([{ id: 1, watermark: null }]);
      await replicas[0].apply([order('a', T0)], projectOrders);
      expect(await replicas[3].factCount()).toBe(1);
    });

    it('should refuse other operations until init has completed', async () => {
      const fresh = await openStore(uniqueSchema(), null);
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
      // A second replica starting with the wider layout finds the column and alters nothing.
      await (await openStore(schema, null)).init(wider);

      const regrouped = { ...LAYOUT, rollups: [{ ...LAYOUT.rollups[0], dimensions: ['region'] }] };
      await expect(store.init(regrouped)).rejects.toThrow(/dimensions of an existing rollup cannot change/);
    });

    it('should backfill a grain table that is missing from the finer grain', async () => {
      await store.apply([order('a', T0, { amount: 3 }), order('b', T0 + 5 * HOUR, { amount: 4 }), order('c', T0 + 25 * HOUR)], projectOrders);
      await queryPostgres(`DROP TABLE "${schema}".rollup_orders_day`);
      await store.init(LAYOUT);
      const days = await store.queryBuckets(query([T0, T0 + 24 * HOUR, T0 + 48 * HOUR], { grain: 'day' }));
      expect(days).toEqual([
        { bucket: 0, group: {}, values: { amount: 7, count: 2, low: 3, high: 4 } },
        { bucket: 1, group: {}, values: { amount: 10, count: 1, low: 10, high: 10 } },
      ]);
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
      // PostgreSQL would silently cut it to 63 bytes, so two long names could share a table.
      await expect(bad({ name: `r${'x'.repeat(60)}` })).rejects.toThrow(/63-byte identifier limit/);
      await expect(PostgresStore.open({ url: POSTGRES_TEST_URL, schema: 'public; DROP SCHEMA x' })).rejects.toThrow(/invalid schema name/);
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

    it('should keep input order for the projector even though rows are written in key order', async () => {
      const calls: StoredFact[][] = [];
      const facts = ['z', 'b', 'y', 'a'].map((id, i) => order(id, T0 + i * MINUTE));
      await store.apply(facts, deltasProjector([], calls));
      expect(calls[0].map((f) => f.id)).toEqual(['z', 'b', 'y', 'a']);
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
      const result = await store.apply([{ ...order('bc', T0), source: 'a' }, { ...order('c', T0), source: 'ab' }], deltasProjector([]));
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
      await expect(store.apply([order('b', T0 + HOUR)], async () => ({ deltas: [delta(T0, { tax: 1 })], states: [] }))).rejects.toThrow(
        /unknown column/,
      );
      // Fails only after the rollup rows were written inside the transaction.
      const lateFailure: Projection = { deltas: [delta(T0, { amount: 5 })], states: [{ state: 'unknown', key: 'k', value: {}, updatedAt: new Date(T0) }] };
      await expect(store.apply([order('b', T0 + HOUR)], async () => lateFailure)).rejects.toThrow(/unknown state/);
      // Fails in PostgreSQL itself, after facts and rollups were written: jsonb cannot hold U+0000.
      const databaseFailure: Projection = { deltas: [delta(T0, { amount: 5 })], states: [{ state: 'stock', key: 'p1', value: { bad: '\u0000' }, updatedAt: new Date(T0) }] };
      await expect(store.apply([order('b', T0 + HOUR)], async () => databaseFailure)).rejects.toThrow(/unicode|\\u0000/i);

      expect(await store.factCount()).toBe(1);
      expect(await store.watermark()).toEqual(new Date(T0));
      expect((await store.readStates('stock', ['p1']))[0].value).toEqual({ sold: 1, status: 'cold' });
      expect((await store.queryBuckets(query([T0, T0 + MINUTE])))[0].values).toEqual({ amount: 10, count: 1, low: 10, high: 10 });
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

    it('should stay exact under concurrent callers on one pool', async () => {
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

    it('should run a deadlocked transaction again, projector included', async () => {
      const retries: unknown[] = [];
      const other = await openStore(schema, LAYOUT, { onRetry: (error) => retries.push(error) });
      const mine = await openStore(schema, LAYOUT, { onRetry: (error) => retries.push(error) });
      // Each projector locks one key, waits until the other has locked the other key, then wants it.
      const locked = [deferred(), deferred()];
      const crossing = (first: string, second: string, me: number): Projector => async (facts, states) => {
        const values = new Map([...(await states.read('stock', [first]))]);
        locked[me].resolve();
        await locked[1 - me].promise;
        for (const [key, value] of await states.read('stock', [second])) values.set(key, value);
        const bump = (key: string) => ({ state: 'stock', key, value: { sold: Number(values.get(key)?.sold ?? 0) + 1 }, updatedAt: facts[0].time });
        return { deltas: [], states: [bump(first), bump(second)] };
      };
      const results = await Promise.all([
        mine.apply([order('x', T0)], crossing('a', 'b', 0)),
        other.apply([order('y', T0)], crossing('b', 'a', 1)),
      ]);

      expect(results.map((r) => r.applied.length)).toEqual([1, 1]);
      expect(retries).toHaveLength(1);
      expect(retries[0]).toMatchObject({ code: '40P01' });
      expect((await store.readStates('stock', ['a', 'b'])).map((r) => r.value)).toEqual([{ sold: 2 }, { sold: 2 }]);
    });
  });

  describe('merging rollup rows', () => {
    it('should sum, take min and max, and let absent columns contribute nothing', async () => {
      const eu = { region: 'eu', channel: 'web' };
      const us = { region: 'us', channel: 'web' };
      // Within one batch: the same key twice, one delta lacking min/max, one lacking the sums.
      await store.apply([order('a', T0)], deltasProjector([
        delta(T0, { amount: 5, count: 1 }, eu),
        delta(T0, { amount: 7, count: 1, low: 3, high: 3 }, eu),
        delta(T0, { low: 8 }, us),
      ]));
      // Across batches: a lower min, no max, and a row that only ever gets sums.
      await store.apply([order('b', T0)], deltasProjector([
        delta(T0, { amount: 1, low: 2 }, eu),
        delta(T0, { high: 9, amount: 4 }, us),
        delta(T0, { count: 2 }, { region: 'apac', channel: 'web' }),
      ]));

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
        query(Array.from({ length: 13 }, (_, i) => T0 + i * 30 * MINUTE), { groupBy: ['region'], filter: { channel: ['web', 'app'] } }),
      ],
      [
        'uneven buckets grouped by both dimensions',
        query([T0 + 10 * MINUTE, T0 + 70 * MINUTE, T0 + 90 * MINUTE, T0 + 4 * HOUR, T0 + 5 * HOUR + 59 * MINUTE], { groupBy: ['channel', 'region'] }),
      ],
      [
        'hours from the hour grain, filtered by two dimensions',
        query(Array.from({ length: 7 }, (_, i) => T0 + i * HOUR), { grain: 'hour', groupBy: ['channel'], filter: { region: ['eu'], channel: ['store', 'web'] } }),
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
        states: ['k3', 'k1', 'k5', 'k2', 'k4'].map((key, i) => ({ state: 'stock', key, value: value(i, i % 2 ? 'hot' : 'cold'), updatedAt: new Date(T0 + i * MINUTE) })),
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

  it('should keep a dead letter whose text PostgreSQL could not store as is', async () => {
    await store.recordDeadLetter({ receivedAt: new Date(T0), source: 's\u0000', id: 'i', type: null, reason: 'nul', event: { b: '\u0000', a: 1 } });
    const [kept] = await store.deadLetters(1);
    expect(kept.source).toBe('s\uFFFD');
    expect(JSON.stringify(kept.event)).toBe('{"b":"\\u0000","a":1}'); // as received: key order and the NUL kept
  });

  describe('exportRollup', () => {
    beforeEach(async () => {
      await store.apply(
        [order('a', T0, { region: 'eu' }), order('b', T0 + 90_000, { region: 'us', amount: 4 }), order('c', T0 + 30_000, { region: 'us', amount: 6 })],
        projectOrders,
      );
    });

    it('should write CSV with a header, ordered by the key', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'postgres-store-'));
      try {
        const file = join(dir, 'out', 'orders_minute.csv');
        expect(await store.exportRollup('orders', 'minute', file, 'csv')).toBe(3);
        expect((await readFile(file, 'utf8')).trim().split('\n')).toEqual([
          'bucket,region,channel,amount,count,low,high',
          '2024-03-01T00:00:00.000Z,eu,web,10,1,10,10',
          '2024-03-01T00:00:00.000Z,us,web,6,1,6,6',
          '2024-03-01T00:01:00.000Z,us,web,4,1,4,4',
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('should refuse Parquet, which PostgreSQL cannot write', async () => {
      await expect(store.exportRollup('orders', 'minute', join(tmpdir(), 'never.parquet'), 'parquet')).rejects.toThrow(/csv only/);
    });
  });

  it('should reject operations after close', async () => {
    const closed = await openStore(schema);
    await closed.close();
    await closed.close();
    await expect(closed.factCount()).rejects.toThrow(/closed/);
  });

  describe('scale-out', () => {
    const SALES_TYPEDEFS = parse('type Query { ok: Boolean }');
    const sale = z.object({ product: z.string(), region: z.string(), customer: z.string(), quantity: z.number().int(), price: z.number().int() });
    /** Integer measures only: sums then are exact whatever the order of addition, so replicas must match bit for bit. */
    const sales = defineDataProduct({
      typeDefs: SALES_TYPEDEFS,
      descriptor: {
        id: 'test.sales',
        name: 'Sales',
        domain: 'sales',
        version: '1.0.0',
        status: 'active',
        description: { purpose: 'scale-out test' },
        owner: { team: 'test', contact: 'test@example.com' },
        slos: { freshnessSeconds: 60, availability: 0.99, retentionDays: 1 },
        classification: {},
      },
      facts: { SalePlaced: sale, SaleReturned: sale },
      rollups: {
        sales: {
          dimensions: ['product', 'region'],
          measures: { orders: 'count', returns: 'count', units: 'sum', smallest: 'min', largest: 'max', price: 'avg' },
          contributions: {
            SalePlaced: (s) => ({ dims: { product: s.product, region: s.region }, values: { orders: 1, units: s.quantity, smallest: s.price, largest: s.price, price: s.price } }),
            SaleReturned: (s) => ({ dims: { product: s.product, region: s.region }, values: { returns: 1, units: -s.quantity } }),
          },
        },
      },
      states: {
        // A handful of hot keys every batch touches: a lost update would change these counters.
        product: {
          reducers: {
            SalePlaced: { key: (s) => s.product, reduce: (p, s) => ({ ...p, sold: Number(p?.sold ?? 0) + s.quantity, orders: Number(p?.orders ?? 0) + 1 }) },
            SaleReturned: { key: (s) => s.product, reduce: (p, s) => ({ ...p, sold: Number(p?.sold ?? 0) - s.quantity, returns: Number(p?.returns ?? 0) + 1 }) },
          },
        },
        customer: {
          reducers: {
            SalePlaced: { key: (s) => s.customer, reduce: (p, s) => ({ ...p, spent: Number(p?.spent ?? 0) + s.quantity * s.price, visits: Number(p?.visits ?? 0) + 1 }) },
          },
        },
      },
      resolvers: () => ({}),
    });
    const layout: StoreLayout = {
      rollups: Object.entries(sales.rollups!).map(([name, r]) => rollupLayout(name, r.dimensions, r.measures)),
      states: Object.keys(sales.states!),
    };
    const project = createProjector(sales);

    function stream(size: number): StoredFact[] {
      const next = random(7);
      const pick = <T>(values: T[]) => values[Math.floor(next() * values.length)];
      return Array.from({ length: size }, (_, i) => ({
        source: pick(['pos', 'web']),
        id: `s${i}`,
        type: next() < 0.9 ? 'SalePlaced' : 'SaleReturned',
        time: new Date(T0 + Math.floor(next() * 3 * HOUR)),
        data: {
          product: pick(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']),
          region: pick(['eu', 'us', 'apac']),
          customer: `c${Math.floor(next() * 400)}`,
          quantity: 1 + Math.floor(next() * 5),
          price: 100 + Math.floor(next() * 900),
        },
      }));
    }

    /** Applies batches with `workers` concurrent applies on one store; returns facts applied and duplicates seen. */
    async function drain(target: PostgresStore, batches: StoredFact[][], workers: number): Promise<{ applied: number; duplicates: number }> {
      const queue = [...batches];
      const totals = { applied: 0, duplicates: 0 };
      await Promise.all(
        Array.from({ length: workers }, async () => {
          for (let batch = queue.shift(); batch; batch = queue.shift()) {
            const result = await target.apply(batch, project);
            totals.applied += result.applied.length;
            totals.duplicates += result.duplicates.length;
          }
        }),
      );
      return totals;
    }

    async function snapshot(name: string) {
      const key = 'bucket, product, region';
      return {
        rollups: await Promise.all(STORED_GRAINS.map((grain) => tableRows(name, `rollup_sales_${grain}`, key))),
        // updated_at is the time of the last fact that wrote a key within its batch, so it depends on how the
        // stream was cut into batches; the values are what a lost update would change.
        states: await Promise.all(layout.states.map((state) => queryPostgres(`SELECT key, value FROM "${name}"."state_${state}" ORDER BY key`))),
        facts: await queryPostgres(`SELECT count(*)::int AS n, count(DISTINCT (source, id))::int AS distinct_keys FROM "${name}".facts`),
        meta: await queryPostgres(`SELECT watermark FROM "${name}".meta`),
      };
    }

    it('should end two replicas sharing an overlapping stream exactly where one replica ends', async () => {
      const facts = stream(19_500);
      const chunks = Array.from({ length: facts.length / 250 }, (_, i) => facts.slice(i * 250, (i + 1) * 250));

      const alone = uniqueSchema('mesh_test_single');
      const single = await openStore(alone, layout);
      for (const chunk of chunks) await single.apply(chunk, project);

      const shared = uniqueSchema('mesh_test_shared');
      const retries: unknown[] = [];
      const onRetry = (error: unknown) => retries.push(error);
      const [a, b] = await Promise.all([openStore(shared, layout, { onRetry }), openStore(shared, layout, { onRetry })]);
      // Of every three chunks X, Y, Z, A receives X and Y and B receives Z and Y; each replica runs two applies
      // at a time, so both start on the same Y together and race for every one of its facts.
      const periods = Array.from({ length: chunks.length / 3 }, (_, k) => chunks.slice(3 * k, 3 * k + 3));
      const forA = periods.flatMap(([x, y]) => [x, y]);
      const forB = periods.flatMap(([, y, z]) => [z, y]);
      const [byA, byB] = await Promise.all([drain(a, forA, 2), drain(b, forB, 2)]);

      expect(byA.applied + byB.applied).toBe(facts.length);
      expect(byA.duplicates + byB.duplicates).toBe(periods.length * 250);
      // Each replica won some of the races for shared facts: they really were in flight at the same time.
      expect(Math.min(byA.applied, byB.applied)).toBeGreaterThan(periods.length * 250);
      const [expected, actual] = [await snapshot(alone), await snapshot(shared)];
      expect(expected.facts).toEqual([{ n: facts.length, distinct_keys: facts.length }]);
      expect(actual).toEqual(expected);
      expect(expected.rollups[0].length).toBeGreaterThan(1000);
      console.info(`scale-out: replica A applied ${byA.applied}, B ${byB.applied}; ${byA.duplicates + byB.duplicates} duplicates; ${retries.length} retried transactions`);
    }, 120_000);
  });
});
