import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { appendRows } from '../../subgraphs/kit/store/duckDbWrites.js';
import { FEW_ROWS } from '../../subgraphs/kit/store/duckDbRowInserts.js';
import type { RowWriter } from '../../subgraphs/kit/store/duckDbRowInserts.js';
import { readRows, toTimestamp } from '../../subgraphs/kit/store/duckDbSql.js';

type Row = { key: string; blob: Uint8Array | null; x: number; n: bigint; u: number; at: Date };

const writeRow = (writer: RowWriter, row: Row) => {
  writer.appendVarchar(row.key);
  if (row.blob) writer.appendBlob(row.blob);
  else writer.appendNull();
  writer.appendDouble(row.x);
  writer.appendBigInt(row.n);
  writer.appendUInteger(row.u);
  writer.appendTimestamp(toTimestamp(row.at));
};

const rowsOf = (count: number, prefix: string): Row[] =>
  Array.from({ length: count }, (_, i) => ({
    key: `${prefix}-${i}`,
    blob: i % 2 === 0 ? new Uint8Array([i, 255, 0]) : null,
    x: i + 0.25,
    n: BigInt(i) * 10_000_000_000n,
    u: 4_000_000_000 - i,
    at: new Date(Date.UTC(2026, 10, 30, 12, i, 7, 123)),
  }));

/** The table's rows as plain values, by key. */
async function stored(connection: DuckDBConnection, table: string) {
  const rows = await readRows(connection, `SELECT key, hex(blob), x, n, u, epoch_ms(at_time) FROM ${table} ORDER BY key`);
  return rows.map(([key, blob, x, n, u, at]) => [String(key), blob === null ? null : String(blob), Number(x), String(n), Number(u), Number(at)]);
}

describe('appendRows: a few rows through one prepared multi-row INSERT, more through the appender', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  const ddl = (table: string) => `CREATE TABLE ${table} (key VARCHAR PRIMARY KEY, blob BLOB, x DOUBLE, n BIGINT, u UINTEGER, at_time TIMESTAMP)`;

  beforeEach(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
  });
  afterEach(() => {
    connection.closeSync();
    instance.closeSync();
  });

  it('should store the same values either way, at and around the few-rows bound', async () => {
    for (const count of new Set([1, 2, 3, FEW_ROWS, FEW_ROWS + 1])) {
      await connection.run(ddl(`few_${count}`));
      await connection.run(ddl(`many_${count}`));
      const rows = rowsOf(count, `c${count}`);
      await appendRows(connection, `few_${count}`, rows, writeRow);
      // One at a time and then the rest in one go: the few-rows path for the first, the appender beyond the bound.
      await appendRows(connection, `many_${count}`, rows.slice(0, 1), writeRow);
      await appendRows(connection, `many_${count}`, [...rows.slice(1), ...rowsOf(FEW_ROWS + 1, `pad${count}`)], writeRow);
      const few = await stored(connection, `few_${count}`);
      const many = (await stored(connection, `many_${count}`)).filter(([key]) => !String(key).startsWith('pad'));
      expect(few).toHaveLength(count);
      expect(few).toEqual(many);
      expect(few[0]).toEqual([`c${count}-0`, '00FF00', 0.25, '0', 4_000_000_000, Date.UTC(2026, 10, 30, 12, 0, 7, 123)]);
      if (count > 1) expect(few[1]).toEqual([`c${count}-1`, null, 1.25, '10000000000', 3_999_999_999, Date.UTC(2026, 10, 30, 12, 1, 7, 123)]);
    }
  });

  it('should fail on a refused row and leave nothing of the transaction after its rollback', async () => {
    await connection.run(ddl('keyed'));
    await appendRows(connection, 'keyed', rowsOf(1, 'k'), writeRow);
    await connection.run('BEGIN TRANSACTION');
    await appendRows(connection, 'keyed', rowsOf(1, 'new'), writeRow);
    await expect(appendRows(connection, 'keyed', rowsOf(1, 'k'), writeRow)).rejects.toThrow(/constraint|duplicate/i);
    await connection.run('ROLLBACK');
    expect((await stored(connection, 'keyed')).map(([key]) => key)).toEqual(['k-0']);
    // Several rows in one statement, the last refused: none of them is kept.
    await expect(appendRows(connection, 'keyed', [...rowsOf(2, 'more'), ...rowsOf(1, 'k')], writeRow)).rejects.toThrow(/constraint|duplicate/i);
    expect((await stored(connection, 'keyed')).map(([key]) => key)).toEqual(['k-0']);
  });

  it('should keep inserting after the table gained a column or was made again', async () => {
    await connection.run(ddl('grown'));
    await appendRows(connection, 'grown', rowsOf(1, 'before'), writeRow);
    await connection.run('ALTER TABLE grown ADD COLUMN extra VARCHAR');
    await appendRows(connection, 'grown', rowsOf(1, 'after'), (writer, row) => {
      writeRow(writer, row);
      writer.appendVarchar('more');
    });
    const rows = await readRows(connection, 'SELECT key, extra FROM grown ORDER BY key');
    expect(rows.map(([key, extra]) => [String(key), extra === null ? null : String(extra)])).toEqual([
      ['after-0', 'more'],
      ['before-0', null],
    ]);
    // Dropped and made again with the same columns (a layout change at init): the statement binds to the new table.
    await connection.run('DROP TABLE grown');
    await connection.run(ddl('grown'));
    await appendRows(connection, 'grown', rowsOf(1, 'again'), writeRow);
    expect((await stored(connection, 'grown')).map(([key]) => key)).toEqual(['again-0']);
  });
});
