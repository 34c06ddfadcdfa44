import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBTimestampValue } from '@duckdb/node-api';
import { ident } from './duckDbSql.js';

/**
 * What a row writer fills a row through: the part of DuckDB's appender the store's writers use. Both
 * the appender and {@link insertFewRows}'s parameter collector implement it, so one writer serves both.
 */
export interface RowWriter {
  appendVarchar(value: string): void;
  appendBlob(value: Uint8Array): void;
  appendDouble(value: number): void;
  appendBigInt(value: bigint): void;
  appendUInteger(value: number): void;
  appendTimestamp(value: DuckDBTimestampValue): void;
  appendBoolean(value: boolean): void;
  appendNull(): void;
}

/**
 * Most rows {@link insertFewRows} takes: beyond this the appender is cheaper. Creating and closing an
 * appender costs about as much whatever it holds (its flush, `closeSync`, on the JavaScript thread),
 * while a prepared multi-row `INSERT ... VALUES` runs off that thread and costs little more per row. On
 * this project's 2-core machine, eight tables written in one transaction (load average ~9, one DuckDB
 * thread): 1 row each 5.3-5.6 ms of CPU prepared against 8.2-8.4 through appenders, 8 rows 7.5-7.8
 * against 9.5-9.8, 16 rows 7.7 against 9.5; at 32 rows they were even. A live apply writes about eight
 * tables a few rows each (issue #9: 100 facts a second in small requests kept the orders subgraph busy,
 * `closeSync` a quarter of its time).
 */
export const FEW_ROWS = 16;

/** Binds one collected value as parameter `at` of a prepared statement. */
type Binder = (statement: DuckDBPreparedStatement, at: number) => void;

/** Prepared INSERTs per connection, by table, column count and row count (the statements outlive applies). */
const preparedInserts = new WeakMap<DuckDBConnection, Map<string, Promise<DuckDBPreparedStatement>>>();

/**
 * Inserts a few rows (at most {@link FEW_ROWS}) into `table` with one prepared multi-row
 * `INSERT ... VALUES`, inside the caller's transaction: what an appender would write, without its fixed
 * cost. `writeRow` fills each row as it would an appender's. A failure throws; the caller rolls back.
 *
 * Only plain inserts are prepared: DuckDB re-binds a prepared statement after a schema change, and a
 * table with other columns gets a statement of its own (the key holds the column and row counts).
 */
export async function insertFewRows<T>(
  connection: DuckDBConnection,
  table: string,
  rows: readonly T[],
  writeRow: (writer: RowWriter, row: T, index: number) => void,
  place: { schema?: string; catalog?: string },
): Promise<void> {
  if (rows.length > FEW_ROWS) throw new RangeError(`insertFewRows takes at most ${FEW_ROWS} rows, got ${rows.length}`);
  if (rows.length === 0) return;
  const target = [place.catalog, place.schema, table]
    .filter((part): part is string => part !== undefined)
    .map(ident)
    .join('.');
  const binders: Binder[] = [];
  let columns = 0;
  for (let i = 0; i < rows.length; i++) {
    collectRow(writeRow, rows[i], i, binders);
    if (i === 0) columns = binders.length;
    else if (binders.length !== columns * (i + 1)) throw new RangeError(`every row of ${target} must fill ${columns} values`);
  }
  const statement = await preparedInsert(connection, target, columns, rows.length);
  binders.forEach((bind, at) => bind(statement, at + 1));
  await statement.run();
}

/** Adds the row `writeRow` fills to `binders`, one binder per value, each calling the bind method of its appender method's type. */
function collectRow<T>(writeRow: (writer: RowWriter, row: T, index: number) => void, row: T, index: number, binders: Binder[]): void {
  writeRow(
    {
      appendVarchar: (value) => void binders.push((statement, at) => statement.bindVarchar(at, value)),
      appendBlob: (value) => void binders.push((statement, at) => statement.bindBlob(at, value)),
      appendDouble: (value) => void binders.push((statement, at) => statement.bindDouble(at, value)),
      appendBigInt: (value) => void binders.push((statement, at) => statement.bindBigInt(at, value)),
      appendUInteger: (value) => void binders.push((statement, at) => statement.bindUInteger(at, value)),
      appendTimestamp: (value) => void binders.push((statement, at) => statement.bindTimestamp(at, value)),
      appendBoolean: (value) => void binders.push((statement, at) => statement.bindBoolean(at, value)),
      appendNull: () => void binders.push((statement, at) => statement.bindNull(at)),
    },
    row,
    index,
  );
}

function preparedInsert(connection: DuckDBConnection, target: string, columns: number, rows: number): Promise<DuckDBPreparedStatement> {
  let statements = preparedInserts.get(connection);
  if (!statements) preparedInserts.set(connection, (statements = new Map<string, Promise<DuckDBPreparedStatement>>()));
  const key = `${target}\u0000${columns}\u0000${rows}`;
  let statement = statements.get(key);
  if (!statement) {
    const values = Array.from({ length: rows }, (_, row) => `(${Array.from({ length: columns }, (_, i) => `$${row * columns + i + 1}`).join(', ')})`).join(
      ', ',
    );
    statement = connection.prepare(`INSERT INTO ${target} VALUES ${values}`);
    statements.set(key, statement);
    statement.catch(() => statements.delete(key));
  }
  return statement;
}
