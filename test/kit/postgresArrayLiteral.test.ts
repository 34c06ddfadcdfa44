import { byteaArray, epochMsArray, numberArray, textArray } from '../../subgraphs/kit/store/postgresArrayLiteral.js';
import { epochMsToTimestamptz } from '../../subgraphs/kit/store/postgresSql.js';
import { describeIfPostgres, queryPostgres } from '../support/postgresAvailable.js';

/** Sends one literal as a parameter cast as the rollup statements cast it, and returns what PostgreSQL read. */
async function roundTrip<T>(literal: string, type: string): Promise<T[]> {
  const rows = await queryPostgres<{ value: T[] }>(`SELECT $1::${type} AS value`, [literal]);
  return rows[0].value;
}

describeIfPostgres('postgresArrayLiteral', () => {
  it('should give PostgreSQL every text back as it was, whatever characters it holds', async () => {
    const texts = ['', 'NULL', 'null', ' a b ', '{x,y}', 'a"b', 'back\\slash', '\\"', 'comma,', 'é ✓ 𝄞', '"'];
    expect(await roundTrip<string>(textArray(texts), 'text[]')).toEqual(texts);
  });

  it('should send numbers as they are and absent ones as NULL', async () => {
    const numbers = [0, -0.5, 12.34, 1e21, 5e-324, Number.MAX_SAFE_INTEGER, null, undefined, Infinity];
    expect(await roundTrip<number | null>(numberArray(numbers), 'double precision[]')).toEqual([
      0,
      -0.5,
      12.34,
      1e21,
      5e-324,
      Number.MAX_SAFE_INTEGER,
      null,
      null,
      Infinity,
    ]);
  });

  it('should send timestamps as epoch milliseconds that come back exact to the millisecond, before 1970 too', async () => {
    const dates = [new Date(Date.UTC(2026, 2, 29, 1, 0, 0, 7)), new Date(0), new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)), new Date(8.64e15 - 1)];
    const rows = await queryPostgres<{ value: Date }>(
      `SELECT ${epochMsToTimestamptz('ms')} AS value FROM unnest($1::bigint[]) WITH ORDINALITY AS k(ms, n) ORDER BY n`,
      [epochMsArray(dates)],
    );
    expect(rows.map((row) => row.value.getTime())).toEqual(dates.map((date) => date.getTime()));
  });

  it('should refuse an invalid date rather than store garbage', () => {
    expect(() => epochMsArray([new Date(0), new Date(Number.NaN)])).toThrow('invalid timestamp');
  });

  it('should send bytes exactly, empty and absent ones included', async () => {
    const bytes = [Uint8Array.from([0, 1, 0x5c, 0x22, 0xff]), new Uint8Array(0), null, Buffer.from('a"b\\c').subarray(1, 4)];
    const read = await roundTrip<Buffer | null>(byteaArray(bytes), 'bytea[]');
    expect(read.map((value) => (value === null ? null : [...value]))).toEqual(bytes.map((value) => (value === null ? null : [...value])));
  });

  it('should make an empty array of no values', async () => {
    expect(await roundTrip<string>(textArray([]), 'text[]')).toEqual([]);
    expect(await roundTrip<number>(numberArray([]), 'double precision[]')).toEqual([]);
  });
});
