/**
 * `DeferredInserts` (`subgraphs/kit/store/DeferredInserts.ts`): a live apply's few-row INSERTs held as SQL
 * literals and run with the COMMIT in one call. Every value must land exactly as the prepared INSERT
 * (`insertFewRows`) binds it, a value no literal carries must fall back to that path, and a failing held
 * INSERT must take the whole apply with it.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { DeferredInserts } from '../../subgraphs/kit/store/DeferredInserts.js';
import { appendRows } from '../../subgraphs/kit/store/duckDbWrites.js';
import type { RowWriter } from '../../subgraphs/kit/store/duckDbRowInserts.js';
import { readRows, toTimestamp } from '../../subgraphs/kit/store/duckDbSql.js';
import { DuckDbStore } from '../../subgraphs/kit/store/DuckDbStore.js';
import type { Projector, StoreLayout, StoredFact } from '../../subgraphs/kit/store/Store.js';
import { useTempStores } from '../support/useTempStores.js';

type Row = { key: string; blob: Uint8Array | null; x: number; n: bigint; u: number; at: Date; flag: boolean };

const writeRow = (writer: RowWriter, row: Row) => {
  writer.appendVarchar(row.key);
  if (row.blob) writer.appendBlob(row.blob);
  else writer.appendNull();
  writer.appendDouble(row.x);
  writer.appendBigInt(row.n);
  writer.appendUInteger(row.u);
  writer.appendTimestamp(toTimestamp(row.at));
  writer.appendBoolean(row.flag);
};

/** Values chosen to break a careless literal: quotes, backslashes, astral characters, doubles a DECIMAL literal would round, extremes. */
const TRICKY: Row[] = [
  {
    key: "it's",
    blob: new Uint8Array([]),
    x: 0.1,
    n: 9_223_372_036_854_775_807n,
    u: 4_294_967_295,
    at: new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)),
    flag: true,
  },
  {
    key: 'back\\slash \\x41 \\n',
    blob: new Uint8Array([0, 255, 39, 92]),
    x: 0.30000000000000004,
    n: -9_223_372_036_854_775_808n,
    u: 0,
    at: new Date(0),
    flag: false,
  },
  { key: '😀 € \u00e9 "quoted" \'\'', blob: null, x: 5e-324, n: 0n, u: 1, at: new Date(Date.UTC(2026, 11, 1, 10, 0, 0, 1)), flag: true },
  { key: 'extremes', blob: new Uint8Array([1, 2, 3]), x: 1.7976931348623157e308, n: 1n, u: 2, at: new Date(Date.UTC(2262, 0, 1)), flag: false },
  { key: 'specials', blob: null, x: Number.NaN, n: 2n, u: 3, at: new Date(Date.UTC(2000, 1, 29)), flag: true },
  { key: 'infinity', blob: null, x: Number.POSITIVE_INFINITY, n: 3n, u: 4, at: new Date(Date.UTC(2000, 1, 29)), flag: true },
  { key: '-infinity', blob: null, x: Number.NEGATIVE_INFINITY, n: 4n, u: 5, at: new Date(Date.UTC(2000, 1, 29)), flag: true },
  { key: 'negative zero', blob: null, x: -0, n: 5n, u: 6, at: new Date(Date.UTC(2000, 1, 29)), flag: true },
  { key: 'long decimal', blob: null, x: 123456789.12345679, n: 6n, u: 7, at: new Date(Date.UTC(2000, 1, 29)), flag: true },
];

/** Every column as text DuckDB prints exactly (doubles by their bits), by key. */
async function stored(connection: DuckDBConnection, table: string) {
  const rows = await readRows(connection, `SELECT key, hex(blob), CAST(x AS VARCHAR), signbit(x), n, u, epoch_us(at_time), flag FROM ${table} ORDER BY key`);
  return rows.map((row) => row.map((value) => (value === null ? null : String(value))));
}

describe('DeferredInserts', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  const ddl = (table: string) => `CREATE TABLE ${table} (key VARCHAR PRIMARY KEY, blob BLOB, x DOUBLE, n BIGINT, u UINTEGER, at_time TIMESTAMP, flag BOOLEAN)`;

  beforeEach(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await connection.run(ddl('bound'));
    await connection.run(ddl('literal'));
  });

  afterEach(() => {
    connection.closeSync();
    instance.closeSync();
  });

  it('should store every value exactly as the prepared INSERT binds it', async () => {
    await appendRows(connection, 'bound', TRICKY, writeRow);
    const deferred = new DeferredInserts();
    await connection.run('BEGIN TRANSACTION');
    await appendRows(connection, 'literal', TRICKY, writeRow, {}, deferred);
    expect(await readRows(connection, 'SELECT count(*) FROM literal')).toEqual([[0n]]); // held, not run
    await connection.run(deferred.takeWithCommit());

    const literal = await stored(connection, 'literal');
    expect(literal).toHaveLength(TRICKY.length);
    expect(literal).toEqual(await stored(connection, 'bound'));
    const byKey = new Map(literal.map((row) => [row[0], row]));
    expect(byKey.get('negative zero')![3]).toBe('true'); // the sign of -0 survived
    expect(byKey.get('long decimal')![2]).toBe('123456789.12345679');
    expect(byKey.get('back\\slash \\x41 \\n')![1]).toBe('00FF275C');
  });

  it('should refuse a row holding U+0000, so its caller inserts it the prepared way', async () => {
    const deferred = new DeferredInserts();
    const row: Row = { ...TRICKY[0], key: 'nul\u0000inside' };
    expect(deferred.add('literal', [row], writeRow)).toBe(false);
    expect(deferred.takeWithCommit()).toBe('COMMIT');

    await connection.run('BEGIN TRANSACTION');
    await appendRows(connection, 'literal', [row], writeRow, {}, deferred);
    await connection.run(deferred.takeWithCommit());
    expect(await readRows(connection, "SELECT key = 'nul' || chr(0) || 'inside' FROM literal")).toEqual([[true]]);
  });
});

describe('DuckDbStore apply with deferred inserts', () => {
  const temp = useTempStores('duckdb-deferred-');
  const LAYOUT: StoreLayout = { rollups: [], states: ['order'] };
  const fact = (id: string): StoredFact => ({ source: 'urn:test', id, type: 'OrderPlaced', time: new Date(Date.UTC(2026, 0, 1)), data: { id } });
  /** Reads each fact's state key first, as the kit's projector does: a key read and found absent is appended as a new row. */
  const project: Projector = async (facts, states) => {
    await states.read(
      'order',
      facts.map((f) => f.id),
    );
    return { deltas: [], states: facts.map((f) => ({ state: 'order', key: f.id, value: { id: f.id }, updatedAt: f.time })) };
  };

  it('should run a live apply in two calls and apply nothing of it when a statement of the commit call fails', async () => {
    const store = await DuckDbStore.open({ path: join(temp.dir, 'deferred.duckdb'), compactIdleMs: 0, threads: 1 });
    temp.opened.push(store);
    await store.init(LAYOUT);
    const original = DuckDBConnection.prototype.run;
    const calls: string[] = [];
    let fail = false;
    const run = jest.spyOn(DuckDBConnection.prototype, 'run').mockImplementation(function (this: DuckDBConnection, sql, ...rest) {
      calls.push(sql);
      // A failure after the held INSERTs ran, before the COMMIT: they must not survive it.
      const text = fail && sql.endsWith(';\nCOMMIT') ? sql.replace(/;\nCOMMIT$/, ";\nSELECT error('injected failure');\nCOMMIT") : sql;
      return original.call(this, text, ...rest);
    });
    try {
      await store.apply([fact('a')], project);
      expect(calls).toHaveLength(2);
      expect(calls[0]).toBe('BEGIN TRANSACTION');
      expect(calls[1]).toMatch(/^INSERT INTO "facts" VALUES .*;\nINSERT INTO "state_order" VALUES .*;\nCOMMIT$/s);

      fail = true;
      await expect(store.apply([fact('b')], project)).rejects.toThrow(/injected failure/);
    } finally {
      run.mockRestore();
    }
    expect(await store.readStates('order', ['a', 'b'])).toEqual([expect.objectContaining({ key: 'a', value: { id: 'a' } })]);
    // Fact 'b' was not kept: applying it again applies it.
    const again = await store.apply([fact('b')], project);
    expect(again.applied).toHaveLength(1);
    expect((await store.readStates('order', ['b']))[0]?.value).toEqual({ id: 'b' });
  });
});
