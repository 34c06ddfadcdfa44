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
  appendNull(): void;
}

/**
 * Most rows {@link insertFewRows} takes: beyond this the appender is cheaper. Creating and closing an
 * appender costs about as much whatever it holds (its flush), while each prepared INSERT run costs about
 * as much as a row: on this project's 2-core machine a transaction writing eight tables one row each
 * took 2.7-3.0 ms prepared against 5.3-6.0 ms through appenders (load average ~5), and at two rows per
 * table or more the appenders won (load average ~9). A single-fact apply writes about eight tables one
 * row each (issue #9: 100 single facts a second kept the orders subgraph busy, `closeSync` a third of its time).
 */
export const FEW_ROWS = 1;

/** Binds one collected value as parameter `at` of a prepared statement. */
type Binder = (statement: DuckDBPreparedStatement, at: number) => void;

/** Prepared single-row INSERTs per connection, by table and column count (the statements outlive applies). */
const preparedInserts = new WeakMap<DuckDBConnection, Map<string, Promise<DuckDBPreparedStatement>>>();

/**
 * Inserts a few rows (at most {@link FEW_ROWS}) into `table` with a prepared `INSERT ... VALUES`, one run
 * per row, inside the caller's transaction: what an appender would write, without its fixed cost.
 * `writeRow` fills each row as it would an appender's. A failure throws; the caller rolls back.
 *
 * Only plain inserts are prepared: DuckDB re-binds a prepared statement after a schema change, and a
 * table with other columns gets a statement of its own (the key holds the column count).
 */
export async function insertFewRows<T>(
  connection: DuckDBConnection,
  table: string,
  rows: readonly T[],
  writeRow: (writer: RowWriter, row: T, index: number) => void,
  place: { schema?: string; catalog?: string },
): Promise<void> {
  if (rows.length > FEW_ROWS) throw new RangeError(`insertFewRows takes at most ${FEW_ROWS} rows, got ${rows.length}`);
  const target = [place.catalog, place.schema, table]
    .filter((part): part is string => part !== undefined)
    .map(ident)
    .join('.');
  for (let i = 0; i < rows.length; i++) {
    const binders = collectRow(writeRow, rows[i], i);
    const statement = await preparedInsert(connection, target, binders.length);
    binders.forEach((bind, at) => bind(statement, at + 1));
    await statement.run();
  }
}

/** The row `writeRow` fills, as one binder per value, each calling the bind method of its appender method's type. */
function collectRow<T>(writeRow: (writer: RowWriter, row: T, index: number) => void, row: T, index: number): Binder[] {
  const binders: Binder[] = [];
  writeRow(
    {
      appendVarchar: (value) => void binders.push((statement, at) => statement.bindVarchar(at, value)),
      appendBlob: (value) => void binders.push((statement, at) => statement.bindBlob(at, value)),
      appendDouble: (value) => void binders.push((statement, at) => statement.bindDouble(at, value)),
      appendBigInt: (value) => void binders.push((statement, at) => statement.bindBigInt(at, value)),
      appendUInteger: (value) => void binders.push((statement, at) => statement.bindUInteger(at, value)),
      appendTimestamp: (value) => void binders.push((statement, at) => statement.bindTimestamp(at, value)),
      appendNull: () => void binders.push((statement, at) => statement.bindNull(at)),
    },
    row,
    index,
  );
  return binders;
}

function preparedInsert(connection: DuckDBConnection, target: string, columns: number): Promise<DuckDBPreparedStatement> {
  let statements = preparedInserts.get(connection);
  if (!statements) preparedInserts.set(connection, (statements = new Map<string, Promise<DuckDBPreparedStatement>>()));
  const key = `${target}\u0000${columns}`;
  let statement = statements.get(key);
  if (!statement) {
    const placeholders = Array.from({ length: columns }, (_, i) => `$${i + 1}`).join(', ');
    statement = connection.prepare(`INSERT INTO ${target} VALUES (${placeholders})`);
    statements.set(key, statement);
    statement.catch(() => statements.delete(key));
  }
  return statement;
}
