import type { DuckDBConnection, DuckDBPreparedStatement, DuckDBValue } from '@duckdb/node-api';
import { materializedRows } from './duckDbSql.js';

/**
 * Prepared statements for the store's frequent small reads (a keyed state's rows for an entity fetch, the
 * states an apply reads), reused instead of parsed and planned per call. A DuckDB statement has a fixed
 * cost that a point read is mostly made of: on this project's 2-core machine `SELECT 1` costs ~0.3 ms
 * of CPU, and one state row read through `runAndReadAll(sql, values)` 2.3–3.3 ms against 1.3–1.6 ms for
 * the same read prepared once with `key = $1` (the subgraphs serving a subscription's entity fetches do
 * one per event).
 *
 * A statement is bound, run and read by one call at a time: a call that finds every statement of its SQL
 * busy prepares another (the bound values live in the statement until its run); up to four idle ones are
 * kept per SQL text. At most
 * {@link MAX_STATEMENTS_PER_CONNECTION} SQL texts are kept per connection, the least recently used
 * destroyed beyond that. A statement whose run fails is destroyed, not reused (a table dropped and made
 * again by a repair invalidates it), and the read is tried once more on a fresh one.
 */
export const MAX_STATEMENTS_PER_CONNECTION = 64;

/** Idle statements kept per SQL text: more than this many calls at once on one connection is rare. */
const MAX_IDLE_PER_SQL = 4;

/** Idle prepared statements per connection, by SQL text, most recently used last. */
const pools = new WeakMap<DuckDBConnection, Map<string, DuckDBPreparedStatement[]>>();

/**
 * Runs `sql` as a prepared statement of `connection`, `bind` setting its parameters, and returns all its
 * rows. A failure throws (after one retry on a freshly prepared statement).
 */
export async function readPreparedRows(
  connection: DuckDBConnection,
  sql: string,
  bind: (statement: DuckDBPreparedStatement) => void,
): Promise<DuckDBValue[][]> {
  try {
    return await runOnce(connection, sql, bind);
  } catch {
    return runOnce(connection, sql, bind);
  }
}

async function runOnce(connection: DuckDBConnection, sql: string, bind: (statement: DuckDBPreparedStatement) => void): Promise<DuckDBValue[][]> {
  const statement = take(connection, sql) ?? (await connection.prepare(sql));
  let rows: DuckDBValue[][];
  try {
    bind(statement);
    rows = materializedRows(await statement.run());
  } catch (error) {
    statement.destroySync();
    throw error;
  }
  give(connection, sql, statement);
  return rows;
}

function take(connection: DuckDBConnection, sql: string): DuckDBPreparedStatement | undefined {
  const idle = pools.get(connection)?.get(sql);
  return idle?.pop();
}

function give(connection: DuckDBConnection, sql: string, statement: DuckDBPreparedStatement): void {
  let pool = pools.get(connection);
  if (!pool) pools.set(connection, (pool = new Map<string, DuckDBPreparedStatement[]>()));
  const idle = pool.get(sql) ?? [];
  // Re-inserted so the map's order is least recently used first.
  pool.delete(sql);
  if (idle.length < MAX_IDLE_PER_SQL) idle.push(statement);
  else statement.destroySync();
  pool.set(sql, idle);
  if (pool.size > MAX_STATEMENTS_PER_CONNECTION) {
    const [oldest, statements] = pool.entries().next().value!;
    pool.delete(oldest);
    for (const stale of statements) stale.destroySync();
  }
}
