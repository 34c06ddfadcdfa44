/**
 * The sketch merge functions a DuckDB compaction calls (`duckDbSketchMerge.ts`): the bytes they give are
 * those of a merge in JS, on every connection of the database, and bytes that are not a sketch fail the
 * statement, so a compaction over them rolls back whole.
 */
import { join } from 'node:path';
import { DuckDBInstance, blobValue, type DuckDBConnection } from '@duckdb/node-api';
import { registerSketchMergeFunctions, sketchMergeFunction } from '../../subgraphs/kit/store/duckDbSketchMerge.js';
import { mergeStoredBytes } from '../../subgraphs/kit/store/sketchRows.js';
import { DuckDbStore } from '../../subgraphs/kit/store/DuckDbStore.js';
import { DistinctSketch } from '../../subgraphs/kit/sketches/DistinctSketch.js';
import { QuantileSketch } from '../../subgraphs/kit/sketches/QuantileSketch.js';
import type { SketchKind } from '../../subgraphs/kit/sketches/sketchKinds.js';
import type { Projector, StoreLayout } from '../../subgraphs/kit/store/Store.js';
import { MINUTE, T0, order, query, sketchDelta } from '../support/storeFixtures.js';
import { useTempStores } from '../support/useTempStores.js';

const temp = useTempStores('duckdb-sketch-merge-');

/** Encoded sketches of `kind`, each of different values (a distinct sketch past its sparse size included). */
function encodedSketches(kind: SketchKind): Uint8Array[] {
  return [3, 40, 5_000].map((size, n) => {
    if (kind === 'hll') {
      const sketch = new DistinctSketch();
      for (let i = 0; i < size; i++) sketch.add(`v${n}-${i}`);
      return sketch.encode();
    }
    const sketch = QuantileSketch.empty();
    for (let i = 0; i < size; i++) sketch.add((i % 97) * (n + 1) + 0.5);
    return sketch.encode();
  });
}

async function withDatabase<T>(work: (writer: DuckDBConnection, other: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const writer = await instance.connect();
  const other = await instance.connect();
  try {
    registerSketchMergeFunctions(writer);
    await writer.run('CREATE TABLE parts (k INTEGER, s BLOB)');
    return await work(writer, other);
  } finally {
    other.closeSync();
    writer.closeSync();
    instance.closeSync();
  }
}

async function insertParts(connection: DuckDBConnection, key: number, parts: ReadonlyArray<Uint8Array | null>): Promise<void> {
  for (const bytes of parts) await connection.run('INSERT INTO parts VALUES ($1, $2)', [key, bytes === null ? null : blobValue(bytes)]);
}

/** Each key's merge of its parts (`list()` keeps the NULLs: the function must skip them), by key. */
async function mergedByKey(connection: DuckDBConnection, kind: SketchKind): Promise<Map<number, Uint8Array | null>> {
  const reader = await connection.runAndReadAll(`SELECT k, ${sketchMergeFunction(kind)}(list(s)) FROM parts GROUP BY k ORDER BY k`);
  return new Map(reader.getRowObjectsJS().map((row) => [Number(Object.values(row)[0]), (Object.values(row)[1] as Uint8Array | null) ?? null]));
}

describe('DuckDB sketch merge functions', () => {
  it.each<SketchKind>(['hll', 'ddsketch'])('should give the bytes of a merge in JS for %s sketches, on every connection of the database', async (kind) => {
    await withDatabase(async (writer, other) => {
      const parts = encodedSketches(kind);
      await insertParts(writer, 1, [parts[0], null, parts[1], parts[2]]);
      await insertParts(writer, 2, [parts[1]]);
      await insertParts(writer, 3, [null, null]);
      const merged = await mergedByKey(other, kind);
      expect(merged.get(1)).toEqual(mergeStoredBytes(kind, parts));
      expect(merged.get(2)).toEqual(parts[1]); // one sketch is taken as stored
      expect(merged.get(3)).toBeNull(); // none
      const nullList = await other.runAndReadAll(`SELECT ${sketchMergeFunction(kind)}(NULL::BLOB[])`);
      expect(nullList.getRows()[0][0]).toBeNull();
    });
  });

  it('should fail the statement on bytes that are not a sketch, and leave a transaction that used it to roll back whole', async () => {
    await withDatabase(async (writer) => {
      const [good] = encodedSketches('hll');
      await insertParts(writer, 1, [good, new Uint8Array([0xff, 0xee, 0x01])]);
      await writer.run('CREATE TABLE merged (k INTEGER PRIMARY KEY, s BLOB)');
      await writer.run('INSERT INTO merged VALUES (1, $1)', [blobValue(good)]);
      await writer.run('BEGIN TRANSACTION');
      await writer.run('INSERT INTO merged VALUES (2, NULL)');
      await expect(writer.run(`UPDATE merged SET s = (SELECT ${sketchMergeFunction('hll')}(list(s)) FROM parts) WHERE k = 1`)).rejects.toThrow(
        /Invalid Input Error: distinct sketch: unsupported precision 238/,
      );
      await writer.run('ROLLBACK');
      const rows = (await writer.runAndReadAll('SELECT k, s FROM merged ORDER BY k')).getRowsJS();
      expect(rows).toEqual([[1, good]]);
    });
  });
});

describe('DuckDbStore compaction through the merge functions', () => {
  const layout: StoreLayout = {
    rollups: [{ name: 'orders', dimensions: ['region'], columns: { count: 'sum' }, sketches: { buyers: 'hll', amounts: 'ddsketch' } }],
    states: [],
  };
  /** One minute delta per fact, by region, with one buyer and one amount in its sketches. */
  const project: Projector = async (facts) => ({
    deltas: facts.map((fact) => {
      const data = fact.data as { region: string; product: string; amount: number };
      return sketchDelta(fact, { region: data.region }, data.product, data.amount);
    }),
    states: [],
  });
  const facts = Array.from({ length: 300 }, (_, i) =>
    order(`m${i}`, T0 + (i % 50) * MINUTE, { region: ['eu', 'us'][i % 2], product: `p${i % 37}`, amount: 1 + (i % 13) }),
  );
  const dayQuery = query([T0, T0 + 86_400_000], { grain: 'day', groupBy: ['region'], sketches: ['buyers', 'amounts'] });
  /** What a read gives, the sketches as their estimate and their sample count. */
  const read = async (store: DuckDbStore) =>
    (await store.queryBuckets(dayQuery)).map((row) => [
      row.group.region,
      row.values.count,
      (row.sketches?.buyers as DistinctSketch).estimate(),
      (row.sketches?.amounts as QuantileSketch).count,
      (row.sketches?.amounts as QuantileSketch).quantile(0.9),
    ]);

  it('should read the same before and after compactions that merge into stored sketches', async () => {
    const store = await DuckDbStore.open({ path: join(temp.dir, 'merge.duckdb'), compactAfterRows: 1_000_000, compactIdleMs: 0 });
    temp.opened.push(store);
    await store.init(layout);
    await store.apply(facts.slice(0, 100), project);
    await store.compact(); // the keyed rows now store sketches: the next compaction merges into them
    for (let i = 100; i < facts.length; i += 50) await store.apply(facts.slice(i, i + 50), project);
    const before = await read(store);
    expect(before.map((row) => row.slice(0, 2))).toEqual([
      ['eu', 150],
      ['us', 150],
    ]);
    expect(before.map((row) => row[3])).toEqual([150, 150]); // every amount counted once
    await store.compact();
    expect(store.pendingDeltaRows).toBe(0);
    expect(await read(store)).toEqual(before);
  });

  it('should refuse to open a file whose pending deltas hold bytes that are not a sketch, and keep the file as it was', async () => {
    const path = join(temp.dir, 'corrupt.duckdb');
    const store = await DuckDbStore.open({ path, compactAfterRows: 1_000_000, compactIdleMs: 0 });
    await store.init(layout);
    await store.apply(facts.slice(0, 100), project);
    await store.compact();
    await store.apply(facts.slice(100, 200), project);
    await store.close();
    const counts = async () => {
      const instance = await DuckDBInstance.create(path);
      const connection = await instance.connect();
      try {
        const damage = (await connection.runAndReadAll("SELECT count(*) FROM delta_orders_minute WHERE buyers = '\\xFF\\x00'::BLOB")).getRowsJS()[0][0];
        const keyed = (await connection.runAndReadAll('SELECT count(*), sum(count) FROM rollup_orders_day')).getRowsJS()[0];
        const pending = (await connection.runAndReadAll('SELECT count(*) FROM delta_orders_minute')).getRowsJS()[0][0];
        return { damage: Number(damage), keyed: keyed.map(Number), pending: Number(pending) };
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    };
    {
      const instance = await DuckDBInstance.create(path);
      const connection = await instance.connect();
      await connection.run(
        "UPDATE delta_orders_minute SET buyers = '\\xFF\\x00'::BLOB WHERE rowid = (SELECT min(rowid) FROM delta_orders_minute WHERE region = 'eu')",
      );
      connection.closeSync();
      instance.closeSync();
    }
    const damaged = await counts();
    expect(damaged).toEqual({ damage: 1, keyed: [2, 100], pending: 100 });
    const reopened = await DuckDbStore.open({ path, compactAfterRows: 1_000_000, compactIdleMs: 0 });
    try {
      await expect(reopened.init(layout)).rejects.toThrow(/Invalid Input Error: distinct sketch: unsupported precision 0/);
    } finally {
      await reopened.close();
    }
    expect(await counts()).toEqual(damaged);
  });
});
