import { DuckDBBlobValue, DuckDBListValue, type DuckDBConnection } from '@duckdb/node-api';
import { STORED_GRAINS, type RollupLayout, type StoredGrain } from './Store.js';
import type { MergedRollupRow, MergedRollupTable } from './mergeRollupDeltas.js';
import { fromTimestamp, ident, mergeSql, readRows, rollupColumnsDdl, rollupTable, toTimestamp } from './duckDbSql.js';
import { appendRows, writeSketchRows } from './duckDbWrites.js';
import { mergeEncoded, mergeStoredSketches, sketchColumns, type SketchRow } from './sketchRows.js';

/*
 * Rollup deltas of the embedded store. An apply appends each batch's pre-merged rollup rows to a delta
 * table per rollup and grain: no primary key, so no ART index upkeep and no ON CONFLICT per row (that
 * upkeep was most of an apply's cost in DuckDB, see docs/architecture.md "Embedded store write path").
 * Every measure merges by sum/min/max and every sketch by its own merge, so a bucket's value is the merge
 * of its keyed row and its delta rows, in any order: reads aggregate both (`duckDbBucketQuery.ts`), and a
 * compaction folds the deltas into the keyed table in one transaction, which readers see whole or not at
 * all (MVCC). A delta row's absent sum is stored as 0 and its absent min/max as NULL, exactly what the
 * keyed upsert would have made of it, so a read gives the same answer before and after a compaction.
 *
 * Each apply's rows carry a sequence number (`_seq`), and `delta_fence` holds the last one folded into the
 * keyed tables: a compaction upserts the rows past the fence and moves the fence in one transaction, and
 * reads take only rows past it. The folded rows are deleted afterwards, in a transaction of their own, so
 * a failed or interrupted delete leaves only rows no read takes (the next compaction deletes them).
 * `DuckDbStore` also keeps reads from running beside a compaction: with DuckDB 1.5.6 such a read could see
 * an empty table pair (see `DuckDbStore.compactedTransaction`).
 */

/** One row: the sequence number of the last apply whose deltas are in the keyed tables. */
export const DELTA_FENCE_DDL = 'CREATE TABLE IF NOT EXISTS delta_fence (folded BIGINT NOT NULL)';

/** Delta rows past the fence: the only ones a read or a compaction takes. */
const pastFence = (table: string): string => `(SELECT * FROM ${table} WHERE _seq > (SELECT folded FROM delta_fence))`;

/** The delta table of a rollup grain; `delta_` names no other table of the store. */
export const deltaTable = (rollup: string, grain: StoredGrain): string => ident(`delta_${rollup}_${grain}`);

/** A delta table has the keyed table's columns in layout order and no key. */
export function deltaDdl(layout: RollupLayout, grain: StoredGrain): string {
  const columns = [
    ...rollupColumnsDdl(layout),
    // Validated identifiers never start with an underscore: no layout column can be called this.
    '_seq BIGINT NOT NULL',
  ];
  return `CREATE TABLE IF NOT EXISTS ${deltaTable(layout.name, grain)} (${columns.join(', ')})`;
}

/**
 * Readies a rollup grain's delta table at `init`: deltas left by an earlier run (perhaps under an older
 * layout) are folded into the keyed table, then the table is created anew in the layout's column order,
 * the order the appender writes in. Returns nothing to do afterwards: the deltas are empty.
 */
export async function resetDeltaTable(connection: DuckDBConnection, layout: RollupLayout, grain: StoredGrain): Promise<void> {
  const table = `delta_${layout.name}_${grain}`;
  const columnRows = await readRows(
    connection,
    `SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1`,
    [table],
  );
  if (columnRows.length > 0) {
    const existing = new Set(columnRows.map(([name]) => String(name)));
    const wanted: Array<[string, string]> = [
      ...Object.keys(layout.columns).map((c): [string, string] => [c, 'DOUBLE']),
      ...Object.keys(layout.sketches ?? {}).map((c): [string, string] => [c, 'BLOB']),
    ];
    for (const [column, type] of wanted) if (!existing.has(column)) await connection.run(`ALTER TABLE ${ident(table)} ADD COLUMN ${ident(column)} ${type}`);
    await compactDeltas(connection, layout, [grain]);
    await connection.run(`DROP TABLE ${ident(table)}`);
  }
  await connection.run(deltaDdl(layout, grain));
}

/** Appends a batch's merged rows to the delta tables, one appender per table; returns the rows appended. */
export async function appendRollupDeltas(connection: DuckDBConnection, tables: readonly MergedRollupTable[], seq: number): Promise<number> {
  let appended = 0;
  for (const { layout, grain, rows } of tables) {
    if (rows.length === 0) continue;
    const kinds = Object.values(layout.columns);
    const sketchCount = Object.keys(layout.sketches ?? {}).length;
    const batch = BigInt(seq);
    await appendRows(connection, `delta_${layout.name}_${grain}`, rows, (appender, row) => {
      appender.appendTimestamp(toTimestamp(row.bucket));
      for (const value of row.dims) appender.appendVarchar(value);
      for (let i = 0; i < kinds.length; i++) {
        const value = row.values[i];
        if (value !== undefined) appender.appendDouble(value);
        else if (kinds[i] === 'sum') appender.appendDouble(0);
        else appender.appendNull();
      }
      for (let i = 0; i < sketchCount; i++) {
        const sketch = row.sketches?.[i];
        if (sketch) appender.appendBlob(sketch.encode());
        else appender.appendNull();
      }
      appender.appendBigInt(batch);
    });
    appended += rows.length;
  }
  return appended;
}

/**
 * Folds the delta rows of the given grains into the keyed tables and empties the deltas, inside the
 * caller's transaction. Measures go in one `INSERT ... SELECT ... GROUP BY ... ON CONFLICT` per grain,
 * without a round trip through JS. Sketches cannot be merged in SQL: the keys whose delta rows carry any
 * are read with their stored sketches (one scan of the keyed table per grain, where an apply used to pay
 * two per batch), merged in JS and written back.
 */
export async function compactDeltas(connection: DuckDBConnection, layout: RollupLayout, grains: readonly StoredGrain[] = STORED_GRAINS): Promise<number> {
  let compacted = 0;
  for (const grain of grains) {
    const [[count]] = await readRows(connection, `SELECT count(*) FROM ${pastFence(deltaTable(layout.name, grain))}`);
    if (Number(count) === 0) continue;
    compacted += Number(count);
    await connection.run(upsertDeltasSql(layout, grain));
    if (layout.sketches) await compactSketches(connection, layout, grain);
  }
  return compacted;
}

/** The keyed upsert of a grain's deltas merged per key (a sum is never NULL in a delta, see `appendRollupDeltas`). */
function upsertDeltasSql(layout: RollupLayout, grain: StoredGrain): string {
  const table = rollupTable(layout.name, grain);
  const keys = ['bucket', ...layout.dimensions.map(ident)];
  const columns = Object.entries(layout.columns);
  const names = [...keys, ...columns.map(([column]) => ident(column))].join(', ');
  const aggregates = columns.map(([column, kind]) => `${kind}(${ident(column)})`);
  const groups = keys.map((_, i) => i + 1).join(', ');
  const sets = columns.map(([column, kind]) => `${ident(column)} = ${mergeSql(kind, `${table}.${ident(column)}`, `excluded.${ident(column)}`)}`);
  const action = sets.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${sets.join(', ')}`;
  return `INSERT INTO ${table} (${names}) SELECT ${[...keys, ...aggregates].join(', ')} FROM ${pastFence(deltaTable(layout.name, grain))}
    GROUP BY ${groups} ON CONFLICT (${keys.join(', ')}) ${action}`;
}

/**
 * Sketches of a grain's deltas into the keyed rows (which exist: the measure upsert ran first). A key with
 * one delta sketch of a column and none stored takes it as is, in one UPDATE per column (SQL, no decoding);
 * only keys with several delta sketches of a column, or one besides a stored sketch, are read, merged in
 * JS and written back. Those are read first, while the stored sketches are still the old ones.
 */
async function compactSketches(connection: DuckDBConnection, layout: RollupLayout, grain: StoredGrain): Promise<void> {
  const sketches = sketchColumns(layout);
  const keys = ['bucket', ...layout.dimensions.map(ident)];
  const delta = `${pastFence(deltaTable(layout.name, grain))} delta`;
  const table = rollupTable(layout.name, grain);
  const groups = keys.map((_, i) => i + 1).join(', ');
  const match = (alias: string) => keys.map((key) => `d.${key} = ${alias}.${key}`).join(' AND ');
  // Aliases `_l<i>`/`_n<i>`: validated identifiers never start with an underscore.
  const grouped = `SELECT ${[
    ...keys,
    ...sketches.flatMap(([column], i) => [`list(${ident(column)}) FILTER (WHERE ${ident(column)} IS NOT NULL) AS _l${i}`, `count(${ident(column)}) AS _n${i}`]),
  ].join(', ')} FROM ${delta} GROUP BY ${groups}`;
  const contested = sketches.map(([column], i) => `d._n${i} > 1 OR (d._n${i} = 1 AND t.${ident(column)} IS NOT NULL)`).join(' OR ');
  const read = await readRows(
    connection,
    `SELECT ${[...keys.map((key) => `d.${key}`), ...sketches.map((_, i) => `d._l${i}`), ...sketches.map(([column]) => `t.${ident(column)}`)].join(', ')}
     FROM (${grouped}) d JOIN ${table} t ON ${match('t')} WHERE ${contested}`,
  );
  for (const [column] of sketches) {
    await connection.run(
      `UPDATE ${table} SET ${ident(column)} = d._one
       FROM (SELECT ${keys.join(', ')}, any_value(${ident(column)}) AS _one FROM ${delta} GROUP BY ${groups} HAVING count(${ident(column)}) = 1) d
       WHERE ${match(table)} AND ${table}.${ident(column)} IS NULL`,
    );
  }
  if (read.length === 0) return;
  const dimCount = layout.dimensions.length;
  const rows: MergedRollupRow[] = [];
  const stored: SketchRow[] = [];
  for (const row of read) {
    const bucket = fromTimestamp(row[0]);
    const dims = row.slice(1, 1 + dimCount).map(String);
    const lists = row.slice(1 + dimCount, 1 + dimCount + sketches.length);
    rows.push({ bucket, dims, values: [], sketches: sketches.map(([, kind], i) => mergeEncoded(kind, encodedList(lists[i]))) });
    const old = row.slice(1 + dimCount + sketches.length).map((value) => (value instanceof DuckDBBlobValue ? value.bytes : null));
    stored.push({ bucket, dims, sketches: old });
  }
  await writeSketchRows(connection, layout, [{ grain, rows: mergeStoredSketches(layout, rows, stored) }]);
}

/** Moves the fence past `seq`: the deltas up to it count as folded (inside the compaction's transaction). */
export async function moveDeltaFence(connection: DuckDBConnection, seq: number): Promise<void> {
  await connection.run('UPDATE delta_fence SET folded = $1', [BigInt(seq)]);
}

/** The fence as stored (0 on a fresh file). */
export async function readDeltaFence(connection: DuckDBConnection): Promise<number> {
  const rows = await readRows(connection, 'SELECT folded FROM delta_fence');
  if (rows.length === 0) {
    await connection.run('INSERT INTO delta_fence VALUES (0)');
    return 0;
  }
  return Number(rows[0][0]);
}

/** Deletes the delta rows behind the fence (after the compaction committed, in a transaction of its own). */
export async function dropFoldedDeltas(connection: DuckDBConnection, layout: RollupLayout): Promise<void> {
  for (const grain of STORED_GRAINS) {
    await connection.run(`DELETE FROM ${deltaTable(layout.name, grain)} WHERE _seq <= (SELECT folded FROM delta_fence)`);
  }
}

/** A `list()` of BLOBs as DuckDB returns it (NULL when the group had none). */
export function encodedList(value: unknown): Array<Uint8Array | null> {
  if (!(value instanceof DuckDBListValue)) return [];
  return value.items.map((item) => (item instanceof DuckDBBlobValue ? item.bytes : null));
}

/** The rows a bucket query reads for a rollup grain: its keyed rows and its delta rows, same columns. */
export function rollupRowsSql(layout: RollupLayout, grain: StoredGrain, keyedTable: string, columns: readonly string[]): string {
  const list = columns.join(', ');
  return `(SELECT ${list} FROM ${keyedTable} UNION ALL SELECT ${list} FROM ${pastFence(deltaTable(layout.name, grain))})`;
}
