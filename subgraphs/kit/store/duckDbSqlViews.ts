import {
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBValue,
} from '@duckdb/node-api';
import { STORED_GRAINS, type RollupLayout } from './Store.js';
import {
  answerBytesCounter,
  maskedKeyList,
  SqlLimitError,
  SqlStatementError,
  viewsOncePerProfile,
  type SqlAnswer,
  type SqlRun,
  type SqlValue,
  type SqlViewProfile,
  type SqlViews,
} from './SqlViews.js';
import { publishedRelations, rollupViewColumns } from './publishedRelations.js';
import { ident, rollupTable, stateTable } from './duckDbSql.js';

/** What the DuckDB SQL port needs of its store. */
export interface DuckDbSqlViewsOptions {
  instance: DuckDBInstance;
  rollups: readonly RollupLayout[];
  states: readonly string[];
  /** Runs DDL on the store's write connection, in its turn. */
  write: (work: (connection: DuckDBConnection) => Promise<void>) => Promise<void>;
  /** Brings the tables the views read up to date (folds pending rollup deltas) before a statement runs. */
  settle: () => Promise<void>;
}

/** A profile's views live in schema `sqlport_<id>` of the store's database. */
const schemaOf = (profile: SqlViewProfile) => ident(`sqlport_${profile.id}`);

/**
 * The embedded store's SQL port. Views are created on the write connection; each statement runs on a
 * connection of the port's own (idle ones are reused; how many run at once is the kit's bound,
 * `sql/createSqlSlots.ts`), in a `READ ONLY` transaction, interrupted at the timeout.
 * The instance itself was opened locked down (`DuckDbStoreOptions.lockDown`): no file outside the export
 * folder, no network, no extension loading, and no `SET` of any setting by anyone afterwards.
 */
export function duckDbSqlViews(options: DuckDbSqlViewsOptions): SqlViews & { close(): Promise<void> } {
  const { instance, rollups, states, write, settle } = options;
  const relations = publishedRelations(rollups, states, STORED_GRAINS);
  /** Connections no statement runs on now; one more is opened when a statement finds none. */
  const idle: DuckDBConnection[] = [];
  const running = new Set<Promise<unknown>>();
  let closed = false;

  const createViews = async (profile: SqlViewProfile): Promise<ReadonlyMap<string, string>> => {
    const schema = schemaOf(profile);
    const names = new Map<string, string>();
    await write(async (db) => {
      await db.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      for (const relation of relations) {
        const view = `${schema}.${ident(relation.name)}`;
        const body =
          relation.kind === 'rollup'
            ? `SELECT ${rollupViewColumns(relation.rollup, profile).map(ident).join(', ')} FROM main.${rollupTable(relation.rollup.name, relation.grain)}`
            : `SELECT key, updated_at, ${maskedValue(profile.maskedKeys)} AS value FROM main.${stateTable(relation.state)}`;
        await db.run(`CREATE OR REPLACE VIEW ${view} AS ${body}`);
        names.set(relation.name, view);
      }
    });
    return names;
  };

  return {
    dialect: 'duckdb',
    views: viewsOncePerProfile(createViews),
    run(run) {
      if (closed) return Promise.reject(new Error('the SQL port is closed'));
      const task = (async () => {
        await settle();
        const connection = idle.pop() ?? (await instance.connect());
        try {
          return await runReadOnly(connection, run);
        } finally {
          if (closed) connection.closeSync();
          else idle.push(connection);
        }
      })();
      running.add(task);
      void task.catch(() => undefined).finally(() => running.delete(task));
      return task;
    },
    async close() {
      closed = true;
      await Promise.all([...running].map((task) => task.catch(() => undefined)));
      for (const connection of idle.splice(0)) connection.closeSync();
    },
  };
}

/**
 * The state value without the keys the profile masks (top-level keys, compared lowercase without `_`, as
 * governed field names are). Key names come from the profile, which the kit built from the SDL: quoted here
 * as string literals after refusing anything but letters, digits and `_`.
 */
function maskedValue(keys: readonly string[]): string {
  if (keys.length === 0) return 'value';
  const list = maskedKeyList(keys);
  return `CASE WHEN value IS NULL THEN NULL ELSE to_json(map_from_entries(list_filter(map_entries(value::MAP(VARCHAR, JSON)), e -> lower(replace(e.key, '_', '')) NOT IN (${list})))) END`;
}

async function runReadOnly(connection: DuckDBConnection, run: SqlRun): Promise<SqlAnswer> {
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  try {
    await connection.run('BEGIN TRANSACTION READ ONLY');
    // Armed only now and cleared in `finally`: an interrupt can only reach this run's statement, never
    // a later caller's on the pooled connection (an interrupted stream may end without an error).
    timer = setTimeout(() => {
      timedOut = true;
      connection.interrupt();
    }, run.timeoutMs);
    const result = await connection.stream(run.sql, [...run.params] as DuckDBValue[]);
    const columns = result.columnNames().map((name, i) => ({ name, type: String(result.columnTypes()[i]) }));
    const rows: SqlValue[][] = [];
    const count = answerBytesCounter(run.maxBytes);
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      if (rows.length + chunk.rowCount > run.maxRows) throw new SqlLimitError('rows', run.maxRows);
      for (const row of chunk.getRows()) {
        const values = row.map(jsonValue);
        count(values);
        rows.push(values);
      }
    }
    if (timedOut) throw new SqlLimitError('timeout', run.timeoutMs);
    return { columns, rows };
  } catch (error) {
    if (error instanceof SqlLimitError) throw error;
    if (timedOut) throw new SqlLimitError('timeout', run.timeoutMs);
    throw new SqlStatementError((error as Error).message);
  } finally {
    clearTimeout(timer);
    await connection.run('ROLLBACK').catch(() => undefined);
  }
}

/** A DuckDB value as JSON: timestamps as ISO 8601 UTC, BIGINTs as numbers while exact, decimals as numbers. */
function jsonValue(value: DuckDBValue): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : String(value);
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) return new Date(Number(value.micros / 1000n)).toISOString();
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBListValue) return value.items.map(jsonValue);
  if (value instanceof DuckDBStructValue) return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, jsonValue(v)]));
  return String(value);
}
