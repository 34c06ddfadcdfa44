import {
  DuckDBTimestampValue,
  timestampValue,
  type DuckDBConnection,
  type DuckDBMaterializedResult,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { MergeKind, RollupLayout, StoredGrain } from './Store.js';
import { isValidDate } from './mergeRollupDeltas.js';

/*
 * SQL text for DuckDbStore. Every identifier interpolated here has passed `assertIdentifier` (and is quoted
 * on top); every value is a bound parameter, a literal generated from a number, or a string literal made by
 * `stringLiteral` (where a parameter would cost a statement its planning again, see `DeferredInserts.ts`
 * and `duckDbBucketQuery.ts`).
 *
 * Timestamps are `TIMESTAMP` (no time zone) holding UTC, converted through epoch microseconds only:
 * DuckDB ignores a string's offset when casting to TIMESTAMP ('...+05:00'::TIMESTAMP keeps the wall clock),
 * so ISO strings are never used.
 */

/**
 * A string as a DuckDB string literal, or undefined for one holding U+0000 (which a statement's text cannot
 * carry; its caller binds it as a parameter instead). DuckDB's plain string literals read no escapes (a
 * backslash is itself; only `E'...'` strings have escapes), so doubling the quote is all the quoting needed.
 */
export function stringLiteral(value: string): string | undefined {
  return value.includes('\u0000') ? undefined : `'${value.replaceAll("'", "''")}'`;
}

/** Quotes an identifier that has already been validated. */
export const ident = (name: string): string => `"${name}"`;
export const rollupTable = (rollup: string, grain: StoredGrain): string => ident(`rollup_${rollup}_${grain}`);
export const rollupStage = (rollup: string): string => `stage_rollup_${rollup}`;
export const sketchStage = (rollup: string): string => `stage_sketch_${rollup}`;
export const stateTable = (state: string): string => ident(`state_${state}`);

/**
 * Facts have no primary key: `KeyHashSet` keeps the idempotency check in memory and the appender writes
 * them straight in. `key_high`/`key_low` hold the key's hash, so a restart reloads the set without hashing
 * every stored key again (NULL on rows a file written before them migrated).
 */
export const FACTS_DDL = `CREATE TABLE IF NOT EXISTS facts (source VARCHAR NOT NULL, id VARCHAR NOT NULL, type VARCHAR NOT NULL,
  time TIMESTAMP NOT NULL, data JSON, key_high UINTEGER, key_low UINTEGER)`;

/** Shared tables, and TEMP staging tables the appender fills before one set-based INSERT. */
export const BASE_DDL: readonly string[] = [
  FACTS_DDL,
  `CREATE SEQUENCE IF NOT EXISTS dead_letter_seq`,
  `CREATE TABLE IF NOT EXISTS dead_letters (seq BIGINT NOT NULL DEFAULT nextval('dead_letter_seq'),
     received_at TIMESTAMP NOT NULL, source VARCHAR, id VARCHAR, type VARCHAR, reason VARCHAR NOT NULL, event JSON)`,
  // `watermark`: written by files of earlier versions only; `DuckDbStore.init` takes the newest fact's time.
  `CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), watermark TIMESTAMP)`,
  // A retracted fact stays in `facts` (so it is still a duplicate when posted again); this marks it.
  `CREATE TABLE IF NOT EXISTS retractions (source VARCHAR NOT NULL, id VARCHAR NOT NULL, reason VARCHAR NOT NULL,
     retracted_at TIMESTAMP NOT NULL, PRIMARY KEY (source, id))`,
  `INSERT INTO meta (id, watermark) VALUES (1, NULL) ON CONFLICT DO NOTHING`,
  `CREATE OR REPLACE TEMP TABLE stage_state (key VARCHAR, value VARCHAR, updated_at TIMESTAMP)`,
];

export function stateDdl(state: string): string {
  return `CREATE TABLE IF NOT EXISTS ${stateTable(state)} (key VARCHAR PRIMARY KEY, value JSON, updated_at TIMESTAMP)`;
}

export function upsertStagedStatesSql(state: string): string {
  return `INSERT INTO ${stateTable(state)} (key, value, updated_at) SELECT key, value::JSON, updated_at FROM stage_state
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`;
}

/** The column definitions of a rollup's rows in layout order: bucket, dimensions, measure columns, sketches. */
export function rollupColumnsDdl(layout: RollupLayout): string[] {
  return [
    'bucket TIMESTAMP NOT NULL',
    ...layout.dimensions.map((d) => `${ident(d)} VARCHAR NOT NULL`),
    ...Object.keys(layout.columns).map((c) => `${ident(c)} DOUBLE`),
    ...Object.keys(layout.sketches ?? {}).map((c) => `${ident(c)} BLOB`),
  ];
}

export function rollupDdl(layout: RollupLayout, grain: StoredGrain): string {
  const columns = rollupColumnsDdl(layout);
  const key = ['bucket', ...layout.dimensions.map(ident)].join(', ');
  return `CREATE TABLE IF NOT EXISTS ${rollupTable(layout.name, grain)} (${columns.join(', ')}, PRIMARY KEY (${key}))`;
}

/**
 * The staging table of a rollup holds the rows of every grain of one apply, told apart by `_grain` (a name
 * no validated identifier can take): one appender pass and one cleanup per rollup instead of three.
 */
export function rollupStageDdl(layout: RollupLayout): string {
  const columns = [
    '_grain VARCHAR',
    'bucket TIMESTAMP',
    ...layout.dimensions.map((d) => `${ident(d)} VARCHAR`),
    ...Object.keys(layout.columns).map((c) => `${ident(c)} DOUBLE`),
  ];
  return `CREATE OR REPLACE TEMP TABLE ${ident(rollupStage(layout.name))} (${columns.join(', ')})`;
}

/** The columns of a table of the main schema (none when there is no such table). */
export async function tableColumns(connection: DuckDBConnection, table: string): Promise<Set<string>> {
  const rows = await readRows(
    connection,
    `SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1`,
    [table],
  );
  return new Set(rows.map(([name]) => String(name)));
}

/** The staging table of sketch writes: encoded sketches per grain and row key, moved by one UPDATE per grain. */
export function sketchStageDdl(layout: RollupLayout): string {
  const columns = [
    '_grain VARCHAR',
    'bucket TIMESTAMP',
    ...layout.dimensions.map((d) => `${ident(d)} VARCHAR`),
    ...Object.keys(layout.sketches ?? {}).map((c) => `${ident(c)} BLOB`),
  ];
  return `CREATE OR REPLACE TEMP TABLE ${ident(sketchStage(layout.name))} (${columns.join(', ')})`;
}

/** Sets the staged sketches of one grain on their rows, which exist already (upserted or derived before). */
export function updateStagedSketchesSql(layout: RollupLayout, grain: StoredGrain): string {
  const table = rollupTable(layout.name, grain);
  const sets = Object.keys(layout.sketches ?? {}).map((c) => `${ident(c)} = s.${ident(c)}`);
  const match = ['bucket', ...layout.dimensions].map((c) => `${table}.${ident(c)} = s.${ident(c)}`);
  return `UPDATE ${table} SET ${sets.join(', ')} FROM ${ident(sketchStage(layout.name))} s WHERE s._grain = '${grain}' AND ${match.join(' AND ')}`;
}

/**
 * Merges the staged (already pre-merged, so key-unique) rows into a rollup table. A NULL on either side
 * must not wipe the other: staged sums are never NULL (an absent sum is staged as 0), a stored one may be
 * (a column added by migration); min/max are NULL wherever a delta lacked them.
 */
export function upsertStagedRollupSql(layout: RollupLayout, grain: StoredGrain): string {
  const table = rollupTable(layout.name, grain);
  const names = ['bucket', ...layout.dimensions.map(ident), ...Object.keys(layout.columns).map(ident)].join(', ');
  const key = ['bucket', ...layout.dimensions.map(ident)].join(', ');
  const sets = Object.entries(layout.columns).map(([column, kind]) => {
    const current = `${table}.${ident(column)}`;
    return `${ident(column)} = ${mergeSql(kind, current, `excluded.${ident(column)}`)}`;
  });
  const action = sets.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${sets.join(', ')}`;
  return `INSERT INTO ${table} (${names}) SELECT ${names} FROM ${ident(rollupStage(layout.name))} WHERE _grain = '${grain}' ON CONFLICT (${key}) ${action}`;
}

/** SQL merging a stored and an incoming partial aggregate, a NULL on either side wiping nothing. */
export function mergeSql(kind: MergeKind, current: string, incoming: string): string {
  if (kind === 'sum') return `COALESCE(${current}, 0) + ${incoming}`;
  const fn = kind === 'min' ? 'LEAST' : 'GREATEST';
  return `${fn}(COALESCE(${current}, ${incoming}), COALESCE(${incoming}, ${current}))`;
}

/** Epoch microseconds of a valid Date; throws on an invalid one rather than storing garbage. */
export function toMicros(date: Date): bigint {
  if (!isValidDate(date)) throw new Error(`invalid timestamp: ${String(date)}`);
  return BigInt(date.getTime()) * 1000n;
}

export const toTimestamp = (date: Date): DuckDBTimestampValue => timestampValue(toMicros(date));

/** A TIMESTAMP literal built from an integer only, safe to inline. */
export const timestampLiteral = (date: Date): string => `make_timestamp(${toMicros(date)})`;

export function fromTimestamp(value: DuckDBValue): Date {
  if (!(value instanceof DuckDBTimestampValue)) throw new Error(`expected a TIMESTAMP, got ${String(value)}`);
  return new Date(Number(value.micros / 1000n));
}

export function fromJson(value: DuckDBValue): unknown {
  return typeof value === 'string' ? JSON.parse(value) : null;
}

/** Runs a statement and returns all its rows. */
export async function readRows(connection: DuckDBConnection, sql: string, values?: DuckDBValue[], types?: DuckDBType[]): Promise<DuckDBValue[][]> {
  return materializedRows(await connection.run(sql, values, types));
}

/**
 * The rows of a materialized result (what `run` returns: every chunk already computed), read from its chunks
 * synchronously. `runAndReadAll` fetches the same chunks through one asynchronous call each, plus one that
 * finds no more: each a round trip through libuv's thread pool, which on this project's 2-core VM cost
 * more than the small reads themselves (a prepared 20-row read 0.83–0.97 ms of CPU that way against
 * 0.53–0.59 ms, `SELECT 1` 0.25–0.49 against 0.20–0.32).
 */
export function materializedRows(result: DuckDBMaterializedResult): DuckDBValue[][] {
  const count = result.chunkCount;
  if (count === 1) return result.getChunk(0).getRows();
  const rows: DuckDBValue[][] = [];
  for (let i = 0; i < count; i++) for (const row of result.getChunk(i).getRows()) rows.push(row);
  return rows;
}
