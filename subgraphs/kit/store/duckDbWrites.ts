import { DuckDBBlobValue, LIST, VARCHAR, listValue, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { RollupLayout, StateRow, StateWrite, StoredFact, StoredGrain } from './Store.js';
import { mergeStoredSketches, type SketchRow } from './sketchRows.js';
import type { MergedRollupTable } from './mergeRollupDeltas.js';
import {
  fromJson,
  fromTimestamp,
  ident,
  readRows,
  rollupStage,
  rollupTable,
  sketchStage,
  stateTable,
  updateStagedSketchesSql,
  toTimestamp,
  upsertStagedRollupSql,
  upsertStagedStatesSql,
} from './duckDbSql.js';
import { factKey } from './storeInputs.js';
import { KeyHashSet } from './KeyHashSet.js';
import type { DuckDbStateKeys } from './duckDbStateKeys.js';
import { FEW_ROWS, insertFewRows, type RowWriter } from './duckDbRowInserts.js';
import type { DeferredInserts } from './DeferredInserts.js';
import { readPreparedRows } from './duckDbPreparedReads.js';

/*
 * The statements of one apply, each set-based: rows go into a TEMP staging table through the appender
 * (one native call per value, no SQL text per row), then one INSERT ... SELECT ... ON CONFLICT moves them.
 * All of it runs inside the caller's transaction, staging included, so a rollback leaves nothing behind.
 *
 * The upserts are deliberately not prepared once and reused: in DuckDB 1.5.6 a prepared
 * `ON CONFLICT DO UPDATE` run a second time sees the existing row's values as NULL, so sums silently
 * restart (verified; plain `run` is correct). Preparing saved only ~2% per batch anyway.
 */

/**
 * The keys of `facts` that are stored already, by one join against the facts table (a scan of its key
 * columns): only asked for the facts `KeyHashSet` says are probably stored, which in practice are retries.
 */
export async function storedFactKeys(connection: DuckDBConnection, facts: readonly StoredFact[]): Promise<Set<string>> {
  if (facts.length === 0) return new Set();
  const rows = await readRows(
    connection,
    `SELECT DISTINCT f.source, f.id FROM facts f JOIN (SELECT unnest($1) AS source, unnest($2) AS id) p ON f.source = p.source AND f.id = p.id`,
    [listValue(facts.map((f) => f.source)), listValue(facts.map((f) => f.id))],
    [LIST(VARCHAR), LIST(VARCHAR)],
  );
  return new Set(rows.map(([source, id]) => factKey(String(source), String(id))));
}

/**
 * Appends facts known to be new (no duplicate keys among them or with the table) with their key hashes;
 * a few go to `deferred` when given (nothing in the transaction reads them back).
 */
export async function appendFacts(
  connection: DuckDBConnection,
  facts: readonly StoredFact[],
  hashes: ReadonlyArray<readonly [number, number]>,
  deferred?: DeferredInserts,
): Promise<void> {
  if (facts.length === 0) return;
  await appendRows(
    connection,
    'facts',
    facts,
    (appender, fact, i) => {
      appender.appendVarchar(fact.source);
      appender.appendVarchar(fact.id);
      appender.appendVarchar(fact.type);
      appender.appendTimestamp(toTimestamp(fact.time));
      appender.appendVarchar(JSON.stringify(fact.data));
      appender.appendUInteger(hashes[i][0]);
      appender.appendUInteger(hashes[i][1]);
    },
    {},
    deferred,
  );
}

/** Adds the hash of every stored fact key to `keys`: stored hashes as they are, missing ones computed. */
export async function loadFactKeys(connection: DuckDBConnection, keys: KeyHashSet): Promise<void> {
  const hashed = await connection.stream('SELECT key_high, key_low FROM facts WHERE key_high IS NOT NULL');
  for (let chunk = await hashed.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await hashed.fetchChunk()) {
    const [high, low] = chunk.getColumns() as number[][];
    for (let i = 0; i < high.length; i++) keys.add(high[i], low[i]);
  }
  const unhashed = await connection.stream('SELECT source, id FROM facts WHERE key_high IS NULL');
  for (let chunk = await unhashed.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await unhashed.fetchChunk()) {
    const [sources, ids] = chunk.getColumns() as string[][];
    for (let i = 0; i < sources.length; i++) keys.add(...KeyHashSet.hash(factKey(sources[i], ids[i])));
  }
}

export async function upsertRollups(connection: DuckDBConnection, tables: MergedRollupTable[]): Promise<void> {
  const byRollup = new Map<RollupLayout, MergedRollupTable[]>();
  for (const table of tables) byRollup.set(table.layout, [...(byRollup.get(table.layout) ?? []), table]);
  for (const [layout, grains] of byRollup) {
    // An absent sum contributes 0; an absent min/max contributes nothing (NULL, which the merge skips).
    const absent = Object.values(layout.columns).map((kind) => (kind === 'sum' ? 0 : null));
    const rows = grains.flatMap(({ grain, rows: grainRows }) => grainRows.map((row) => ({ grain, row })));
    await stage(connection, rollupStage(layout.name), rows, (appender, { grain, row }) => {
      appender.appendVarchar(grain);
      appender.appendTimestamp(toTimestamp(row.bucket));
      for (const value of row.dims) appender.appendVarchar(value);
      row.values.forEach((merged, i) => {
        const value = merged ?? absent[i];
        if (value === null) appender.appendNull();
        else appender.appendDouble(value);
      });
    });
    for (const { grain, rows: grainRows } of grains) if (grainRows.length > 0) await connection.run(upsertStagedRollupSql(layout, grain));
    if (layout.sketches) {
      // The rows exist now; their stored sketches are read by joining the staged keys, merged, written back.
      const writes = [];
      for (const { grain, rows: grainRows } of grains) {
        const stored = await readSketchRows(connection, layout, grain, { staged: true });
        writes.push({ grain, rows: mergeStoredSketches(layout, grainRows, stored) });
      }
      await writeSketchRows(connection, layout, writes);
    }
    await connection.run(`DELETE FROM ${ident(rollupStage(layout.name))}`);
  }
}

/** Stored sketches of a grain's rows: those whose keys are staged for this grain, or those in [from, to). */
export async function readSketchRows(
  connection: DuckDBConnection,
  layout: RollupLayout,
  grain: StoredGrain,
  where: { staged: true } | { from: Date; to: Date },
): Promise<SketchRow[]> {
  const dims = layout.dimensions.map((d) => `t.${ident(d)}`);
  const sketches = Object.keys(layout.sketches ?? {}).map((c) => `t.${ident(c)}`);
  const select = `SELECT ${['t.bucket', ...dims, ...sketches].join(', ')} FROM ${rollupTable(layout.name, grain)} t`;
  const rows =
    'staged' in where
      ? await readRows(
          connection,
          `${select} JOIN ${ident(rollupStage(layout.name))} s ON s._grain = '${grain}' AND ${['bucket', ...layout.dimensions]
            .map((c) => `t.${ident(c)} = s.${ident(c)}`)
            .join(' AND ')}`,
        )
      : await readRows(connection, `${select} WHERE t.bucket >= $1 AND t.bucket < $2`, [toTimestamp(where.from), toTimestamp(where.to)]);
  return rows.map((row) => ({
    bucket: fromTimestamp(row[0]),
    dims: row.slice(1, 1 + dims.length).map(String),
    sketches: row.slice(1 + dims.length).map((value) => (value instanceof DuckDBBlobValue ? value.bytes : null)),
  }));
}

/** Sets the sketches of existing rows, one UPDATE per grain from a staging table. */
export async function writeSketchRows(
  connection: DuckDBConnection,
  layout: RollupLayout,
  grains: Array<{ grain: StoredGrain; rows: SketchRow[] }>,
): Promise<void> {
  const rows = grains.flatMap(({ grain, rows: grainRows }) => grainRows.map((row) => ({ grain, row })));
  if (rows.length === 0) return;
  await stage(connection, sketchStage(layout.name), rows, (appender, { grain, row }) => {
    appender.appendVarchar(grain);
    appender.appendTimestamp(toTimestamp(row.bucket));
    for (const value of row.dims) appender.appendVarchar(value);
    for (const bytes of row.sketches) {
      if (bytes) appender.appendBlob(bytes);
      else appender.appendNull();
    }
  });
  for (const { grain, rows: grainRows } of grains) if (grainRows.length > 0) await connection.run(updateStagedSketchesSql(layout, grain));
  await connection.run(`DELETE FROM ${ident(sketchStage(layout.name))}`);
}

/**
 * Writes state values; `writesByState` holds at most one write per key (see `mergeStateWrites`). Keys the
 * transaction read and found absent (`stateKeys`) are appended to the state table as they are (its key
 * still refuses a duplicate, which fails the transaction; a few go to `deferred` when given); the others
 * go through a staged upsert.
 */
export async function upsertStates(
  connection: DuckDBConnection,
  writesByState: Map<string, StateWrite[]>,
  stateKeys?: DuckDbStateKeys,
  deferred?: DeferredInserts,
): Promise<void> {
  for (const [state, writes] of writesByState) {
    const fresh = stateKeys ? writes.filter((write) => stateKeys.isAbsent(state, write.key)) : [];
    const others = fresh.length > 0 ? writes.filter((write) => !stateKeys!.isAbsent(state, write.key)) : writes;
    for (const write of writes) stateKeys?.writing(state, write.key);
    const writeRow = (appender: RowWriter, write: StateWrite) => {
      appender.appendVarchar(write.key);
      appender.appendVarchar(JSON.stringify(write.value));
      appender.appendTimestamp(toTimestamp(write.updatedAt));
    };
    // No staging, INSERT ... SELECT and DELETE for new keys, such as new orders: most of a batch's states.
    await appendRows(connection, `state_${state}`, fresh, writeRow, {}, deferred);
    if (others.length === 0) continue;
    await stage(connection, 'stage_state', others, writeRow);
    await connection.run(upsertStagedStatesSql(state));
    await connection.run('DELETE FROM stage_state');
  }
}

/**
 * Current rows of the keys, ordered by key, through prepared statements (`duckDbPreparedReads.ts`): one
 * key (an entity fetch's usual read) is an equality on the key, several travel as one LIST parameter.
 */
export async function readStateRows(connection: DuckDBConnection, state: string, keys: string[]): Promise<StateRow[]> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return [];
  const table = stateTable(state);
  const rows =
    unique.length === 1
      ? await readPreparedRows(connection, `SELECT key, value, updated_at FROM ${table} WHERE key = $1`, (statement) => statement.bindVarchar(1, unique[0]))
      : await readPreparedRows(connection, `SELECT key, value, updated_at FROM ${table} WHERE key IN (SELECT unnest($1)) ORDER BY key`, (statement) =>
          statement.bindList(1, listValue(unique), LIST(VARCHAR)),
        );
  return rows.map(decodeStateRow);
}

export function decodeStateRow([key, value, updatedAt]: DuckDBValue[]): StateRow {
  return { key: String(key), value: fromJson(value) as Record<string, unknown>, updatedAt: fromTimestamp(updatedAt) };
}

/** Rows into one of the transaction's staging tables (`temp.main.<table>`). */
function stage<T>(connection: DuckDBConnection, table: string, rows: readonly T[], writeRow: (appender: RowWriter, row: T) => void): Promise<void> {
  return appendRows(connection, table, rows, writeRow, { schema: 'main', catalog: 'temp' });
}

/**
 * Appends rows to a table through one DuckDB appender, `writeRow` filling each row; a few rows (up to
 * `FEW_ROWS`, a live apply's) go in through one prepared multi-row INSERT instead, cheaper than an
 * appender's create and flush (`duckDbRowInserts.ts`), or are held by `deferred` when given, to run with
 * the transaction's COMMIT (`DeferredInserts.ts`). On a failure the appender is cleared and closed and the
 * error thrown on: the caller rolls its transaction back.
 */
export async function appendRows<T>(
  connection: DuckDBConnection,
  table: string,
  rows: readonly T[],
  writeRow: (appender: RowWriter, row: T, index: number) => void,
  place: { schema?: string; catalog?: string } = {},
  deferred?: DeferredInserts,
): Promise<void> {
  if (rows.length === 0) return;
  if (rows.length <= FEW_ROWS) {
    if (deferred?.add(table, rows, writeRow, place)) return;
    return insertFewRows(connection, table, rows, writeRow, place);
  }
  const appender = await connection.createAppender(table, place.schema, place.catalog);
  try {
    for (let i = 0; i < rows.length; i++) {
      writeRow(appender, rows[i], i);
      appender.endRow();
    }
    appender.closeSync();
  } catch (error) {
    try {
      appender.clear();
      appender.closeSync();
    } catch {
      // The caller rolls the transaction back; the original error is the one worth reporting.
    }
    throw error;
  }
}
