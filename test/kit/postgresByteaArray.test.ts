import pg from 'pg';
import { FAST_BYTEA_ARRAYS, parseByteaArray } from '../../subgraphs/kit/store/postgresByteaArray.js';
import { POSTGRES_TEST_URL, describeIfPostgres } from '../support/postgresAvailable.js';

describe('parseByteaArray', () => {
  it('should refuse what is not a hex bytea[] rather than guess', () => {
    expect(() => parseByteaArray('not an array')).toThrow(/not an array/);
    expect(() => parseByteaArray('{"\\\\x0g"}')).toThrow(/not hex/);
    expect(() => parseByteaArray('{"\\\\x012"}')).toThrow(/not hex/);
    expect(() => parseByteaArray('{"\\\\x01"')).toThrow(/not an array/);
    expect(() => parseByteaArray('{"\\\\x01}')).toThrow(/unterminated/);
    expect(() => parseByteaArray('{"\\\\x01"NULL}')).toThrow(/comma/);
    expect(() => parseByteaArray('{{"\\\\x01"}}')).toThrow(/unexpected/);
  });
});

describeIfPostgres('bytea[] results through FAST_BYTEA_ARRAYS (PostgreSQL)', () => {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  beforeAll(() => client.connect());
  afterAll(() => client.end());

  /** The array as the driver's own parser reads it, and as ours does. */
  async function both(sql: string): Promise<[unknown, unknown]> {
    const driver = await client.query({ text: sql, rowMode: 'array' });
    const ours = await client.query({ text: sql, rowMode: 'array', types: FAST_BYTEA_ARRAYS });
    return [driver.rows[0][0], ours.rows[0][0]];
  }

  it('should read every element as the driver does: bytes that quote or escape in text, NULLs, empty bytea, empty arrays', async () => {
    const every = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0')).join('');
    const [driver, ours] = await both(`SELECT ARRAY['\\x0102'::bytea, NULL, '\\x'::bytea, '\\x5c22227b7d2c'::bytea, '\\x${every}'::bytea, NULL]`);
    expect((ours as Array<Uint8Array | null>).map((item) => (item === null ? null : Buffer.from(item).toString('hex')))).toEqual(
      (driver as Array<Buffer | null>).map((item) => (item === null ? null : item.toString('hex'))),
    );
    expect((ours as unknown[]).length).toBe(6);
    expect(await both(`SELECT '{}'::bytea[]`)).toEqual([[], []]);
    // Other types keep the driver's parsers.
    const [ints, oursInts] = await both(`SELECT ARRAY[1, 2, NULL]::int[]`);
    expect(oursInts).toEqual(ints);
  });

  it('should read an array_agg of stored sketches as the driver does', async () => {
    const sql = `SELECT array_agg(decode(md5(i::text), 'hex') || decode(repeat('00', i % 7), 'hex')) FROM generate_series(1, 500) i`;
    const [driver, ours] = await both(sql);
    expect((ours as Uint8Array[]).map((item) => Buffer.from(item).toString('hex'))).toEqual((driver as Buffer[]).map((item) => item.toString('hex')));
  });

  it('should refuse the escape output format with a message naming it', async () => {
    await client.query(`SET bytea_output = 'escape'`);
    try {
      await expect(client.query({ text: `SELECT ARRAY['\\x41'::bytea]`, rowMode: 'array', types: FAST_BYTEA_ARRAYS })).rejects.toThrow(/bytea_output/);
    } finally {
      await client.query(`SET bytea_output = 'hex'`);
    }
  });
});
