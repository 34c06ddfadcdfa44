import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { MAX_STATEMENTS_PER_CONNECTION, readPreparedRows } from '../../subgraphs/kit/store/duckDbPreparedReads.js';
import { readStateRows } from '../../subgraphs/kit/store/duckDbWrites.js';

describe('prepared reads: statements reused per connection, one call at a time each', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;

  beforeEach(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await connection.run('CREATE TABLE state_stock (key VARCHAR PRIMARY KEY, value VARCHAR, updated_at TIMESTAMP)');
    await connection.run(`INSERT INTO state_stock SELECT 'p' || i, '{"onHand":' || i || '}', make_timestamp(i * 1000000) FROM range(50) t(i)`);
  });
  afterEach(() => {
    connection.closeSync();
    instance.closeSync();
  });

  it('should give each of many concurrent reads of one statement its own rows', async () => {
    // All bound before any runs: values bound to a shared statement would leak from one read to another.
    const keys = Array.from({ length: 40 }, (_, i) => `p${i}`);
    await readStateRows(connection, 'stock', ['p49']); // the statement exists before the burst
    const reads = await Promise.all(keys.map((key) => readStateRows(connection, 'stock', [key])));
    expect(reads.map((rows) => rows.map((row) => [row.key, row.value, row.updatedAt.getTime()]))).toEqual(
      keys.map((key, i) => [[key, { onHand: i }, i * 1000]]),
    );
  });

  it('should read several keys at once, ordered, each once, and nothing for unknown or no keys', async () => {
    const rows = await readStateRows(connection, 'stock', ['p7', 'zz', 'p3', 'p7']);
    expect(rows.map((row) => row.key)).toEqual(['p3', 'p7']);
    expect(await readStateRows(connection, 'stock', ['zz'])).toEqual([]);
    expect(await readStateRows(connection, 'stock', [])).toEqual([]);
  });

  it('should read from a table dropped and made again after its statement was prepared', async () => {
    expect((await readStateRows(connection, 'stock', ['p1']))[0].value).toEqual({ onHand: 1 });
    await connection.run('DROP TABLE state_stock');
    await connection.run('CREATE TABLE state_stock (key VARCHAR PRIMARY KEY, value VARCHAR, updated_at TIMESTAMP)');
    await connection.run(`INSERT INTO state_stock VALUES ('p1', '{"onHand":99}', make_timestamp(0))`);
    expect((await readStateRows(connection, 'stock', ['p1']))[0].value).toEqual({ onHand: 99 });
  });

  it('should fail a read of a table that is gone, and read again once it is back', async () => {
    await readStateRows(connection, 'stock', ['p1']);
    await connection.run('DROP TABLE state_stock');
    await expect(readStateRows(connection, 'stock', ['p1'])).rejects.toThrow(/state_stock/);
    await connection.run('CREATE TABLE state_stock (key VARCHAR PRIMARY KEY, value VARCHAR, updated_at TIMESTAMP)');
    expect(await readStateRows(connection, 'stock', ['p1'])).toEqual([]);
  });

  it('should keep answering past the number of statements it keeps', async () => {
    for (let i = 0; i < MAX_STATEMENTS_PER_CONNECTION + 10; i++) {
      const rows = await readPreparedRows(connection, `SELECT $1::INTEGER + ${i}`, (statement) => statement.bindInteger(1, 1));
      expect(Number(rows[0][0])).toBe(i + 1);
    }
    // The least recently used statements were destroyed: the first SQL is prepared afresh and still right.
    expect(Number((await readPreparedRows(connection, 'SELECT $1::INTEGER + 0', (statement) => statement.bindInteger(1, 5)))[0][0])).toBe(5);
  });
});
