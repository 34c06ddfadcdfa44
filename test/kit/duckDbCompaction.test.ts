/**
 * The embedded store's write path: facts appended without a primary key (idempotency through
 * `KeyHashSet`), rollup deltas merged at read time and compacted into the keyed tables. Every expectation
 * comes from the raw deltas (`expectedRows`) or from a second store, never from the store under test.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbStore, type DuckDbStoreOptions } from '../../subgraphs/kit/store/DuckDbStore.js';
import { KeyHashSet } from '../../subgraphs/kit/store/KeyHashSet.js';
import { factKey } from '../../subgraphs/kit/store/storeInputs.js';
import { DistinctSketch } from '../../subgraphs/kit/sketches/DistinctSketch.js';
import { QuantileSketch } from '../../subgraphs/kit/sketches/QuantileSketch.js';
import type { BucketQuery, Projector, StoreLayout, StoredFact, StoredGrain } from '../../subgraphs/kit/store/Store.js';
import type { Sketch } from '../../subgraphs/kit/sketches/sketchKinds.js';
import { DAY, HOUR, LAYOUT, MINUTE, T0, expectedRows, order, orderDeltas, projectOrders, query, random } from '../support/storeFixtures.js';
import { PROJECTED_ORDERS } from '../support/projectedOrdersProduct.js';
import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import { storeRollupLayouts } from '../../subgraphs/kit/rollups/storeRollupLayouts.js';
import { useTempStores } from '../support/useTempStores.js';

// --- harness -------------------------------------------------------------------------------------------

const temp = useTempStores('duckdb-compaction-');
const { opened } = temp;

/**
 * A store on a file of this test; by default compacting only when told to, on one DuckDB thread (the
 * tests of reads beside compactions keep DuckDB's default, one per core).
 */
async function openStore(options: Partial<DuckDbStoreOptions> = {}, layout: StoreLayout = LAYOUT): Promise<DuckDbStore> {
  const store = await DuckDbStore.open({ path: join(temp.dir, 'product.duckdb'), compactAfterRows: 1_000_000, compactIdleMs: 0, threads: 1, ...options });
  opened.push(store);
  await store.init(layout);
  return store;
}

async function reopen(store: DuckDbStore, options: Partial<DuckDbStoreOptions> = {}, layout?: StoreLayout): Promise<DuckDbStore> {
  await closeStore(store);
  return openStore(options, layout);
}

/** A projector of one `orders` minute delta per fact, by region, counting 1, with the sketches `sketchesOf` gives it. */
function projectMinuteCounts(sketchesOf: (fact: StoredFact, index: number) => Record<string, Sketch>): Projector {
  return async (facts) => ({
    deltas: facts.map((fact, i) => ({
      rollup: 'orders',
      grain: 'minute' as const,
      bucket: new Date(fact.time.getTime() - (fact.time.getTime() % MINUTE)),
      dims: { region: String((fact.data as { region: string }).region) },
      values: { count: 1 },
      sketches: sketchesOf(fact, i),
    })),
    states: [],
  });
}

/** Orders spread over two days, three regions and two channels, with varied amounts. */
function orders(count: number, seed: number, prefix = `o${seed}`): StoredFact[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) =>
    order(`${prefix}-${i}`, T0 + Math.floor(next() * 2 * DAY), {
      region: ['eu', 'us', 'apac'][Math.floor(next() * 3)],
      channel: ['web', 'app'][Math.floor(next() * 2)],
      amount: 1 + Math.floor(next() * 100),
    }),
  );
}

/** Queries over every grain, grouped and not: what the reads must agree on. */
const QUERIES: BucketQuery[] = (['minute', 'hour', 'day'] as StoredGrain[]).flatMap((grain) => {
  const step = grain === 'minute' ? 30 * MINUTE : grain === 'hour' ? 6 * HOUR : DAY;
  const boundaries = Array.from({ length: Math.round((2 * DAY) / step) + 1 }, (_, i) => T0 + i * step);
  return [query(boundaries, { grain }), query(boundaries, { grain, groupBy: ['region', 'channel'] }), query(boundaries, { grain, filter: { region: ['us'] } })];
});

async function expectReadsMatch(store: DuckDbStore, facts: StoredFact[]): Promise<void> {
  const deltas = facts.flatMap(orderDeltas);
  for (const q of QUERIES) expect(await store.queryBuckets(q)).toEqual(expectedRows(deltas, q));
}

/** How many delta rows are pending, read on a connection of the test's own after the store closed. */
async function pendingDeltaRows(path: string): Promise<number> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    const rows = await connection.runAndReadAll(
      // Minute rows only: the hour and day grains derive from them.
      `SELECT (SELECT count(*) FROM delta_orders_minute) + (SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('delta_orders_hour', 'delta_orders_day'))`,
    );
    return Number(rows.getRows()[0][0]);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

// --- tests ---------------------------------------------------------------------------------------------

describe('DuckDbStore rollup deltas', () => {
  it('should answer from keyed rows and uncompacted deltas alike, before and after a compaction', async () => {
    const store = await openStore();
    const all: StoredFact[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const facts = orders(150, batch + 1);
      all.push(...facts);
      await store.apply(facts, projectOrders);
      if (batch === 2) await store.compact(); // keyed rows and deltas for the same keys from here on
      await expectReadsMatch(store, all);
    }
    await store.compact();
    await expectReadsMatch(store, all);
  });

  it('should keep pending deltas across a restart and fold them in at init', async () => {
    const { path, facts } = await closedWithPendingDeltas(11, 200);
    expect(await pendingDeltaRows(path)).toBeGreaterThan(0);

    const store = await openStore();
    await expectReadsMatch(store, facts);
    await closeStore(store);
    expect(await pendingDeltaRows(path)).toBe(0);
  });

  it('should fold hour and day delta tables left by a file from before coarser grains were derived, each into its own grain once', async () => {
    const { path, facts } = await closedWithPendingDeltas(12, 100);
    // What the earlier layout left pending: the same deltas at every grain, each grain in a table of its own.
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    try {
      for (const grain of ['hour', 'day']) {
        await connection.run(
          `CREATE TABLE delta_orders_${grain} AS SELECT date_trunc('${grain}', bucket) AS bucket, * EXCLUDE (bucket) FROM delta_orders_minute`,
        );
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }

    let store = await openStore();
    await expectReadsMatch(store, facts);
    await store.apply(orders(50, 13), projectOrders);
    await expectReadsMatch(store, [...facts, ...orders(50, 13)]);
    await closeStore(store);
    expect(await pendingDeltaRows(path)).toBeGreaterThan(0); // the new minute deltas, and no coarser table
    store = await openStore();
    await expectReadsMatch(store, [...facts, ...orders(50, 13)]);
  });

  it('should stay exact with compactions queued between concurrent applies and queries', async () => {
    // A compaction is queued after nearly every apply; queries run on their own connection meanwhile.
    const store = await openStore({ compactAfterRows: 50, threads: undefined });
    const batches = Array.from({ length: 12 }, (_, i) => orders(40, 100 + i));
    const totals = [0];
    for (const batch of batches) totals.push(totals.at(-1)! + batch.length);
    const whole = query([T0, T0 + 2 * DAY], { grain: 'day' });
    const seen: number[] = [];
    const reading = (async () => {
      for (let i = 0; i < 40; i++) {
        const [row] = await store.queryBuckets(whole);
        seen.push(row ? Number(row.values.count) : 0);
      }
    })();
    // Applies commit in call order, so any committed state holds a prefix of the batches.
    await Promise.all([...batches.map((facts) => store.apply(facts, projectOrders)), reading]);
    for (const count of seen) expect(totals).toContain(count);
    await expectReadsMatch(store, batches.flat());
    await store.compact();
    await expectReadsMatch(store, batches.flat());
  });

  it('should never let a read running beside a compaction miss committed rows, the first compaction of a fresh file included', async () => {
    // DuckDB 1.5.6 let such a read see nothing at all now and then; the store keeps reads and compactions apart.
    const boundaries = Array.from({ length: 97 }, (_, i) => T0 + i * 30 * MINUTE);
    for (let run = 0; run < 8; run++) {
      const store = await openStore({ path: join(temp.dir, `fresh-${run}.duckdb`), threads: undefined });
      let total = 0;
      for (let batch = 0; batch < 3; batch++) {
        total += (await store.apply(orders(40, 1000 + run * 10 + batch), projectOrders)).applied.length;
        const [, ...reads] = await Promise.all([store.compact(), ...Array.from({ length: 6 }, () => store.queryBuckets(query(boundaries)))]);
        for (const rows of reads) expect(rows.reduce((sum, row) => sum + Number(row.values.count), 0)).toBe(total);
      }
    }
  });

  it('should merge sketches from deltas exactly as from keyed rows, at a grain derived from the minute deltas', async () => {
    const layout: StoreLayout = { rollups: [{ name: 'orders', dimensions: ['region'], columns: { count: 'sum' }, sketches: { buyers: 'hll' } }], states: [] };
    const project = projectMinuteCounts((fact) => {
      const sketch = new DistinctSketch();
      sketch.add(String((fact.data as { product: string }).product));
      return { buyers: sketch };
    });
    const next = random(5);
    const facts = Array.from({ length: 400 }, (_, i) =>
      order(`s${i}`, T0 + Math.floor(next() * DAY), { region: ['eu', 'us'][i % 2], product: `p${Math.floor(next() * 120)}` }),
    );
    const distinct = async (store: DuckDbStore) =>
      (await store.queryBuckets(query([T0, T0 + DAY], { grain: 'hour', groupBy: ['region'], sketches: ['buyers'] }))).map((row) => [
        row.group.region,
        row.values.count,
        (row.sketches?.buyers as DistinctSketch | undefined)?.estimate(),
      ]);
    const compacted = await openStore({ compactAfterRows: 1, path: join(temp.dir, 'compacted.duckdb') }, layout);
    const pending = await openStore({ path: join(temp.dir, 'pending.duckdb') }, layout);
    for (let i = 0; i < facts.length; i += 100) {
      await compacted.apply(facts.slice(i, i + 100), project);
      await pending.apply(facts.slice(i, i + 100), project);
    }
    await compacted.compact();
    const expected = await distinct(compacted);
    expect(expected).toEqual([
      ['eu', 200, expect.any(Number)],
      ['us', 200, expect.any(Number)],
    ]);
    expect(await distinct(pending)).toEqual(expected);
    await pending.compact();
    expect(await distinct(pending)).toEqual(expected);
  });

  it('should fold every sample of a percentile sketch exactly once, whether a key is new, stores one, or gets several', async () => {
    // Percentile sketches count their samples, so a sketch merged twice (or lost) shows, unlike a distinct count.
    // Deltas carry `values` on every fact and `extra` on every third one: a key can be contested in one column only.
    const layout: StoreLayout = {
      rollups: [{ name: 'orders', dimensions: ['region'], columns: { count: 'sum' }, sketches: { values: 'ddsketch', extra: 'ddsketch' } }],
      states: [],
    };
    const project = projectMinuteCounts((_fact, i) => {
      const values = QuantileSketch.empty();
      values.add(1 + i);
      const sketches: Record<string, QuantileSketch> = { values };
      if (i % 3 === 0) {
        const extra = QuantileSketch.empty();
        extra.add(2 + i);
        sketches.extra = extra;
      }
      return sketches;
    });
    const next = random(9);
    // Few minutes, so minute keys recur across batches (stored + delta) and within one (several deltas).
    const facts = Array.from({ length: 300 }, (_, i) => order(`q${i}`, T0 + Math.floor(next() * 40) * MINUTE, { region: ['eu', 'us', 'ap'][i % 3] }));
    const counts = async (store: DuckDbStore) => {
      const read = async (grain: StoredGrain, step: number) =>
        (
          await store.queryBuckets(
            query(
              Array.from({ length: Math.round(DAY / step) + 1 }, (_, i) => T0 + i * step),
              { grain, groupBy: ['region'], sketches: ['values', 'extra'] },
            ),
          )
        ).map((row) => [
          row.bucket,
          row.group.region,
          row.values.count,
          (row.sketches?.values as QuantileSketch | undefined)?.count,
          (row.sketches?.extra as QuantileSketch | undefined)?.count ?? 0,
        ]);
      return { minute: await read('minute', MINUTE), hour: await read('hour', HOUR), day: await read('day', DAY) };
    };
    const pending = await openStore({ path: join(temp.dir, 'pending-q.duckdb') }, layout);
    const sliced = await openStore({ path: join(temp.dir, 'sliced-q.duckdb'), compactAfterRows: 1, compactSliceRows: 1, compactIdleMs: 0 }, layout);
    for (let i = 0; i < facts.length; i += 30) {
      await pending.apply(facts.slice(i, i + 30), project);
      await sliced.apply(facts.slice(i, i + 30), project);
      if (i === 120) await pending.compact(); // later batches fold into keys that store sketches
    }
    const expected = await counts(pending);
    for (const rows of Object.values(expected)) {
      for (const [, , count, values] of rows) expect(values).toBe(count);
    }
    expect(expected.day.reduce((sum, row) => sum + Number(row[4]), 0)).toBe(100);
    await pending.compact();
    await sliced.compact();
    expect(await counts(pending)).toEqual(expected);
    expect(await counts(sliced)).toEqual(expected);
  });

  it('should close with a compaction still queued, and let it finish first', async () => {
    let store = await openStore({ compactAfterRows: 1 });
    const facts = orders(60, 41);
    const applying = store.apply(facts, projectOrders); // queues a compaction once it commits
    const reading = store.queryBuckets(QUERIES[0]);
    await applying;
    await store.close(); // the compaction takes a read turn while the store closes: no deadlock
    await reading;
    await expect(store.queryBuckets(QUERIES[0])).rejects.toThrow('closed');
    opened.splice(opened.indexOf(store), 1);
    expect(await pendingDeltaRows(join(temp.dir, 'product.duckdb'))).toBe(0);
    store = await openStore();
    await expectReadsMatch(store, facts);
  });

  it('should compact by itself once the store has been idle', async () => {
    const path = join(temp.dir, 'product.duckdb');
    let store = await openStore({ compactIdleMs: 20 });
    await store.apply(orders(50, 3), projectOrders);
    // The compaction takes the write turn after the idle time; an apply queued after it waits for it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await store.apply([], projectOrders);
    await closeStore(store);
    expect(await pendingDeltaRows(path)).toBe(0);
    store = await openStore();
    await expectReadsMatch(store, orders(50, 3));
  });
});

// --- projections (hour is their finest grain) ---------------------------------------------------------

/** The orders rollup with a projection over `region` (and the implied ungrouped one), measures named as `expectedRows` reads them. */
const PROJECTION_STORE_LAYOUT: StoreLayout = { rollups: storeRollupLayouts(PROJECTED_ORDERS.rollups!), states: [] };
const projectWithProjections = createProjector(PROJECTED_ORDERS);
const NO_STATES = { read: () => Promise.resolve(new Map()) };

/** Orders with a customer, over two days. */
function customerOrders(count: number, seed: number): StoredFact[] {
  const next = random(seed);
  return orders(count, seed).map((fact) => ({ ...fact, data: { ...fact.data, customer: `c${Math.floor(next() * 40)}` } }));
}

/** Hour and day queries of both projections and the rollup, grouped by region where it can be, with the sketch. */
const PROJECTION_QUERIES: BucketQuery[] = (['hour', 'day'] as StoredGrain[]).flatMap((grain) => {
  const step = grain === 'hour' ? 6 * HOUR : DAY;
  const boundaries = Array.from({ length: Math.round((2 * DAY) / step) + 1 }, (_, i) => T0 + i * step);
  return [
    query(boundaries, { grain, rollup: 'orders__by', sketches: ['buyers_hll'] }),
    query(boundaries, { grain, rollup: 'orders__by__region', groupBy: ['region'], sketches: ['buyers_hll'] }),
    query(boundaries, { grain, rollup: 'orders__by__region', filter: { region: ['us'] }, sketches: ['buyers_hll'] }),
  ];
});

/**
 * Every projection read matches what the projector makes of the facts at every grain (computed in JS,
 * not by the store): numbers through `expectedRows`, the distinct sketch by its estimate.
 */
async function expectProjectionReadsMatch(store: DuckDbStore, facts: StoredFact[]): Promise<void> {
  const { deltas } = await projectWithProjections(facts, NO_STATES);
  for (const q of PROJECTION_QUERIES) {
    const rows = await store.queryBuckets(q);
    const ofRollup = deltas.filter((d) => d.rollup === q.rollup);
    expect(rows.map(({ sketches: _, ...row }) => row)).toEqual(expectedRows(ofRollup, q));
    for (const row of rows) {
      const expected = new DistinctSketch();
      for (const d of ofRollup) {
        if (d.grain !== q.grain) continue;
        const t = d.bucket.getTime();
        if (t < q.boundaries[row.bucket].getTime() || t >= q.boundaries[row.bucket + 1].getTime()) continue;
        if (Object.entries(row.group).some(([dim, value]) => d.dims[dim] !== value)) continue;
        if (Object.entries(q.filter).some(([dim, values]) => !values.includes(d.dims[dim]))) continue;
        expected.merge(d.sketches!.buyers_hll as DistinctSketch);
      }
      expect((row.sketches!.buyers_hll as DistinctSketch).estimate()).toBe(expected.estimate());
    }
  }
  // A projection has no minute rows, pending or compacted: minute parts read the rollup.
  expect(await store.queryBuckets(query([T0, T0 + 2 * DAY], { rollup: 'orders__by' }))).toEqual([]);
}

/** The delta tables in the file and their row counts, read on a connection of the test's own. */
async function deltaTables(path: string): Promise<Record<string, number>> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    const names = (
      await connection.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, 'delta_') AND table_name <> 'delta_fence'`)
    )
      .getRows()
      .map(([name]) => String(name));
    const counts: Record<string, number> = {};
    for (const name of names) counts[name] = Number((await connection.runAndReadAll(`SELECT count(*) FROM ${name}`)).getRows()[0][0]);
    return counts;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Runs SQL on the closed store's file. */
async function onFile(path: string, statements: string[]): Promise<void> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    for (const sql of statements) await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function closeStore(store: DuckDbStore): Promise<void> {
  await store.close();
  opened.splice(opened.indexOf(store), 1);
}

/** A store file closed with deltas pending: 300 orders of `seed`, the first `compacted` of them compacted. */
async function closedWithPendingDeltas(seed: number, compacted: number): Promise<{ path: string; facts: StoredFact[] }> {
  const store = await openStore();
  const facts = orders(300, seed);
  await store.apply(facts.slice(0, compacted), projectOrders);
  await store.compact();
  await store.apply(facts.slice(compacted), projectOrders);
  await closeStore(store);
  return { path: join(temp.dir, 'product.duckdb'), facts };
}

describe('DuckDbStore projection deltas (finest grain: the hour)', () => {
  it('should append projection deltas at the hour only and derive the day from them, before and after a compaction', async () => {
    const path = join(temp.dir, 'product.duckdb');
    const store = await openStore({}, PROJECTION_STORE_LAYOUT);
    const all: StoredFact[] = [];
    for (let batch = 0; batch < 4; batch++) {
      const facts = customerOrders(150, batch + 21);
      all.push(...facts);
      await store.apply(facts, projectWithProjections);
      if (batch === 1) await store.compact(); // keyed rows and pending deltas for the same keys from here on
      await expectProjectionReadsMatch(store, all);
    }
    await closeStore(store);
    const tables = await deltaTables(path);
    // One delta table per rollup table, at its finest grain; the rows pending are the last two batches'.
    expect(Object.keys(tables).sort()).toEqual(['delta_orders__by__region_hour', 'delta_orders__by_hour', 'delta_orders_minute']);
    // Exactly the hour rows each of the last two batches made, merged per batch.
    let hourRows = 0;
    for (const batch of [all.slice(300, 450), all.slice(450)]) {
      const { deltas } = await projectWithProjections(batch, NO_STATES, { finestGrainOnly: true });
      expect(deltas.every((d) => d.grain === (d.rollup === 'orders' ? 'minute' : 'hour'))).toBe(true);
      hourRows += deltas.filter((d) => d.rollup === 'orders__by').length;
    }
    expect(tables.delta_orders__by_hour).toBe(hourRows);
    expect(hourRows).toBeLessThan(300);

    const reopened = await openStore({}, PROJECTION_STORE_LAYOUT);
    await expectProjectionReadsMatch(reopened, all); // folded at init into hour and day
    await reopened.compact();
    await expectProjectionReadsMatch(reopened, all);
  });

  it('should fold projection delta tables left by a file that kept every grain, each into its own grain once', async () => {
    const path = join(temp.dir, 'product.duckdb');
    let store = await openStore({}, PROJECTION_STORE_LAYOUT);
    const facts = customerOrders(300, 31);
    await store.apply(facts.slice(0, 100), projectWithProjections);
    await store.compact();
    await store.apply(facts.slice(100), projectWithProjections);
    await closeStore(store);
    // What the earlier layout left: an empty minute delta table and a day table beside the hour one (the
    // same deltas at each grain); the rollup's own hour and day tables as well.
    const statements = ['orders__by', 'orders__by__region'].flatMap((projection) => [
      `CREATE TABLE delta_${projection}_minute AS SELECT * FROM delta_${projection}_hour WHERE false`,
      `CREATE TABLE delta_${projection}_day AS SELECT date_trunc('day', bucket) AS bucket, * EXCLUDE (bucket) FROM delta_${projection}_hour`,
    ]);
    statements.push(
      ...['hour', 'day'].map(
        (grain) => `CREATE TABLE delta_orders_${grain} AS SELECT date_trunc('${grain}', bucket) AS bucket, * EXCLUDE (bucket) FROM delta_orders_minute`,
      ),
    );
    await onFile(path, statements);

    store = await openStore({}, PROJECTION_STORE_LAYOUT);
    await expectProjectionReadsMatch(store, facts); // a day counted twice (hour deltas derived and day deltas) would fail here
    await closeStore(store);
    expect(await deltaTables(path)).toEqual({ delta_orders__by__region_hour: 0, delta_orders__by_hour: 0, delta_orders_minute: 0 });
    store = await openStore({}, PROJECTION_STORE_LAYOUT);
    await expectProjectionReadsMatch(store, facts);
  });
});

describe('DuckDbStore fact idempotency without a primary key', () => {
  it('should refuse a duplicate across a compaction and across a restart', async () => {
    let store = await openStore();
    const facts = orders(200, 21);
    expect((await store.apply(facts, projectOrders)).applied).toHaveLength(200);
    await store.compact();
    const again = await store.apply([...facts.slice(0, 50), ...orders(10, 22)], projectOrders);
    expect([again.applied.length, again.duplicates.length]).toEqual([10, 50]);

    store = await reopen(store);
    const afterRestart = await store.apply(facts.slice(100, 150), projectOrders);
    expect([afterRestart.applied.length, afterRestart.duplicates.length]).toEqual([0, 50]);
    expect(await store.factCount()).toBe(210);
    await expectReadsMatch(store, [...facts, ...orders(10, 22)]);
  });

  it('should apply facts of a rolled-back batch when they come again', async () => {
    const store = await openStore();
    const facts = orders(20, 31);
    const failing: Projector = async () => {
      throw new Error('projector failed');
    };
    await expect(store.apply(facts, failing)).rejects.toThrow('projector failed');
    expect(await store.factCount()).toBe(0);
    const retried = await store.apply(facts, projectOrders);
    expect([retried.applied.length, retried.duplicates.length]).toEqual([20, 0]);
  });

  it('should apply a fact again once retention deleted it (its hash is still known)', async () => {
    const store = await openStore();
    const old = order('old', T0 + HOUR);
    await store.apply([old, order('new', T0 + 3 * DAY)], projectOrders);
    await store.enforceRetention({ facts: new Date(T0 + DAY), grains: {} });
    expect(await store.factCount()).toBe(1);
    const again = await store.apply([old, order('new', T0 + 3 * DAY)], projectOrders);
    expect(again.applied.map((fact) => fact.id)).toEqual(['old']);
    expect(again.duplicates.map((fact) => fact.id)).toEqual(['new']);
  });

  it('should take over a file whose facts table had a primary key and keep refusing its duplicates', async () => {
    const path = join(temp.dir, 'product.duckdb');
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run(`CREATE TABLE facts (source VARCHAR NOT NULL, id VARCHAR NOT NULL, type VARCHAR NOT NULL,
      time TIMESTAMP NOT NULL, data JSON, PRIMARY KEY (source, id))`);
    await connection.run(`INSERT INTO facts VALUES ('shop', 'legacy', 'OrderPlaced', make_timestamp(${BigInt(T0) * 1000n}), '{"region":"eu"}')`);
    connection.closeSync();
    instance.closeSync();

    const store = await openStore();
    expect(await store.factCount()).toBe(1);
    const result = await store.apply([order('legacy', T0), order('fresh', T0)], projectOrders);
    expect(result.applied.map((fact) => fact.id)).toEqual(['fresh']);
    expect(result.duplicates.map((fact) => fact.id)).toEqual(['legacy']);
  });
});

describe('KeyHashSet', () => {
  it('should hold exactly the added hashes through growth', () => {
    const set = new KeyHashSet(4);
    const added = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      const [high, low] = KeyHashSet.hash(factKey('urn:test', `id-${i}`));
      set.add(high, low);
      added.add(`${high}:${low}`);
    }
    expect(set.size).toBe(added.size);
    let missing = 0;
    for (let i = 0; i < 50_000; i++) if (!set.has(...KeyHashSet.hash(factKey('urn:test', `id-${i}`)))) missing++;
    expect(missing).toBe(0);
    let falsePositives = 0;
    for (let i = 50_000; i < 100_000; i++) if (set.has(...KeyHashSet.hash(factKey('urn:test', `id-${i}`)))) falsePositives++;
    expect(falsePositives).toBe(0);
  });

  it('should tell keys apart whatever characters the source holds', () => {
    expect(KeyHashSet.hash(factKey('a', 'bc'))).not.toEqual(KeyHashSet.hash(factKey('ab', 'c')));
  });
});
