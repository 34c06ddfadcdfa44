import type { DuckDBConnection } from '@duckdb/node-api';
import { STORED_GRAINS, finestGrain, type RollupLayout, type StoredGrain } from './Store.js';
import type { CheckedDeltaTable } from './mergeRollupDeltas.js';
import { ident, mergeSql, readRows, rollupColumnsDdl, rollupTable, tableColumns, toTimestamp } from './duckDbSql.js';
import { groupSketchMergeSql, pairSketchMergeSql } from './duckDbSketchMerge.js';
import { appendRows } from './duckDbWrites.js';
import type { DeferredInserts } from './DeferredInserts.js';
import { sketchColumns } from './sketchRows.js';
import { ZoneDays, zoneSlug } from './zoneDays.js';

/*
 * Rollup deltas of the embedded store. An apply appends each batch's pre-merged rows at a rollup table's
 * finest grain (`finestGrain`: the minute for a rollup, the hour for a projection) to one delta table per
 * rollup table: no primary key, so no ART index upkeep and no ON CONFLICT per row (that upkeep was most
 * of an apply's cost in DuckDB, see docs/architecture.md "Embedded store write path"). The coarser grains
 * have no delta rows of their own: a coarser bucket is the merge of its finer buckets, so reads and
 * compactions take the finest delta rows with their bucket truncated to the grain (a projection's day
 * rows from its hour deltas); a grain finer than the finest (a projection's minute) has no deltas at all.
 * An apply writes a third of the rows it would otherwise (a batch spread over many hours and days merges
 * little at the coarser grains), and reads merge a few more rows per coarse bucket until the next compaction.
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

/**
 * One row: the sequence number of the last apply whose deltas are in the keyed tables of the minute and
 * hour grains (`folded`), and in those of the day grain (`folded_day`, never past `folded`; NULL in files
 * written before it: the same as `folded`). A compaction slice folds the minute and hour grains; the day
 * grain, where the keys of every slice are nearly all the same (each product's and each zone's days), is
 * folded once per compaction, so its rows are merged once instead of once per slice (issue #13).
 */
export const DELTA_FENCE_DDL = 'CREATE TABLE IF NOT EXISTS delta_fence (folded BIGINT NOT NULL, folded_day BIGINT)';

/** Adds `folded_day` to the fence of a file written before it. */
export const DELTA_FENCE_MIGRATION = 'ALTER TABLE delta_fence ADD COLUMN IF NOT EXISTS folded_day BIGINT';

/** Which grains a fold takes: the minute and hour grains (`'fine'`), the day grain, or all of them. */
export type FoldedGrains = 'fine' | 'day' | 'all';

/** The fence a grain's deltas are read past. */
const fenceOf = (grain: StoredGrain): string =>
  grain === 'day' ? '(SELECT coalesce(folded_day, folded) FROM delta_fence)' : '(SELECT folded FROM delta_fence)';

/** The grains of `derivedGrains(layout)` that `which` names. */
function foldedGrains(layout: RollupLayout, which: FoldedGrains): readonly StoredGrain[] {
  const grains = derivedGrains(layout);
  return which === 'all' ? grains : grains.filter((grain) => (grain === 'day') === (which === 'day'));
}

/** Delta rows past the grain's fence: the only ones a read or a compaction of that grain takes. */
const pastFence = (table: string, grain: StoredGrain): string => `(SELECT * FROM ${table} WHERE _seq > ${fenceOf(grain)})`;

/**
 * The delta table of a rollup grain; `delta_` names no other table of the store. Only the finest grain's
 * exists now; the others are left by files written before (`resetDeltaTables` folds and drops them).
 */
export const deltaTable = (rollup: string, grain: StoredGrain): string => ident(`delta_${rollup}_${grain}`);

/** The grains a layout's deltas fold into: its finest grain and the coarser ones. */
export function derivedGrains(layout: RollupLayout): readonly StoredGrain[] {
  return STORED_GRAINS.slice(STORED_GRAINS.indexOf(finestGrain(layout)));
}

/** A rollup table's columns besides the bucket, in layout order: dimensions, measures, sketches. */
const rowColumns = (layout: RollupLayout): string[] => [...layout.dimensions, ...Object.keys(layout.columns), ...Object.keys(layout.sketches ?? {})];

/**
 * A grain's pending delta rows, in the keyed table's columns: the finest grain's delta rows past the
 * fence, their bucket truncated to the grain (none for a grain finer than the finest). Every measure and
 * sketch merges the same whatever the order and grouping, so these rows merge into the grain's buckets
 * exactly as the grain's own deltas would have.
 */
function grainDeltas(layout: RollupLayout, grain: StoredGrain, upTo?: number, derivedFrom?: RollupLayout): string {
  const finest = finestGrain(layout);
  const bucket = grain === finest ? 'bucket' : `date_trunc('${grain}', bucket) AS bucket`;
  const rest = rowColumns(layout).map(ident);
  const pending = derivedGrains(layout).includes(grain) ? `_seq > ${fenceOf(grain)}${throughSeq(upTo)}` : 'false';
  const own = `SELECT ${[bucket, ...rest].join(', ')} FROM ${deltaTable(layout.name, finest)} WHERE ${pending}`;
  if (!derivedFrom || pending === 'false') return `(${own})`;
  return `(${own} UNION ALL ${derivedRowsSql(layout, grain, derivedFrom, pending)})`;
}

/*
 * Derived delta rows. A projection's or zone-day table's deltas merge exactly like its rollup's minute
 * deltas re-aggregated to its dimensions and buckets, so an apply of a few facts (`DERIVE_MAX_FACTS`,
 * the live stream's one fact per request) writes its rollup's minute rows only, marked `_derive`, with
 * the start of each declared zone's day beside them (`_day_<zone>`), and the tables derived from that
 * rollup read and fold those rows as their own: one statement per apply instead of one per table (each
 * small DuckDB statement costs about a quarter of a millisecond of CPU; issue #9's 100 single facts a
 * second). A larger apply writes every table's rows (a projection's pre-merged rows are far fewer than
 * the rollup's when a batch holds many facts per hour), `_derive` false.
 */

/** Most facts an apply writes derived rows for (see "Derived delta rows" above). */
export const DERIVE_MAX_FACTS = 16;

/**
 * Whether an apply's deltas can be written as derived rows: every projection or zone-day table with deltas
 * has its rollup's deltas beside them (the kit's projector always makes both from the same facts; a
 * projector that made only a projection's rows would lose them if they were left to be derived).
 */
export function canDerive(tables: readonly CheckedDeltaTable[]): boolean {
  const withRows = new Set(tables.filter((table) => table.deltas.length > 0).map((table) => table.layout.name));
  return tables.every((table) => table.deltas.length === 0 || table.layout.projectionOf === undefined || withRows.has(table.layout.projectionOf));
}

/** The column of a rollup's minute deltas holding the start of `zone`'s day (derived rows only), unquoted. */
const zoneDayColumnName = (zone: string): string => `_day_${zoneSlug(zone)}`;
const zoneDayColumn = (zone: string): string => ident(zoneDayColumnName(zone));

/**
 * How a derived table's rows come from its rollup's derived minute rows at `grain`: their bucket (the
 * zone day for a zone-day table, else the minute truncated) and the condition that leaves out a minute
 * outside the window zone-day tables cover (`ZoneDays.startOf`: no row, as the projector makes none).
 */
function derivedBucket(layout: RollupLayout, grain: StoredGrain): { bucket: string; outside: string } {
  if (!layout.dayZone) return { bucket: `date_trunc('${grain}', bucket)`, outside: '' };
  const column = zoneDayColumn(layout.dayZone.zone);
  return { bucket: column, outside: ` AND ${column} IS NOT NULL` };
}

/** The zones of the zone-day tables derived from `root` among `rollups`, each once, in layout order. */
export function derivedZones(root: RollupLayout, rollups: Iterable<RollupLayout>): string[] {
  const zones = new Set<string>();
  for (const layout of rollups) if (layout.projectionOf === root.name && layout.dayZone) zones.add(layout.dayZone.zone);
  return [...zones];
}

/** `layout`'s pending rows at `grain` made from its rollup's derived minute rows (`root`'s). */
function derivedRowsSql(layout: RollupLayout, grain: StoredGrain, root: RollupLayout, pending: string): string {
  const { bucket, outside } = derivedBucket(layout, grain);
  return `SELECT ${[`${bucket} AS bucket`, ...rowColumns(layout).map(ident)].join(', ')} FROM ${deltaTable(root.name, finestGrain(root))} WHERE _derive AND ${pending}${outside}`;
}

/**
 * A delta table has the keyed table's columns in layout order and no key; a declared rollup's (a layout
 * without `projectionOf`) also says whether its rows stand for the tables derived from it (`_derive`) and
 * holds the day start of each of their zones (`zones`, see "Derived delta rows").
 */
export function deltaDdl(layout: RollupLayout, grain: StoredGrain, zones: readonly string[] = []): string {
  const columns = [
    ...rollupColumnsDdl(layout),
    // Validated identifiers never start with an underscore: no layout column can be called these.
    '_seq BIGINT NOT NULL',
    ...(layout.projectionOf === undefined ? ['_derive BOOLEAN NOT NULL', ...zones.map((zone) => `${zoneDayColumn(zone)} TIMESTAMP`)] : []),
  ];
  return `CREATE TABLE IF NOT EXISTS ${deltaTable(layout.name, grain)} (${columns.join(', ')})`;
}

/**
 * At `init`, before any delta table is folded: the derived rows an earlier run left in a rollup's minute
 * deltas are written out as rows of each table derived from it that has a delta table, with their
 * sequence numbers, so that `resetDeltaTables` folds them with that table's own rows (the rollup's table
 * is folded and dropped first).
 */
export async function expandDerivedDeltas(connection: DuckDBConnection, rollups: readonly RollupLayout[]): Promise<void> {
  for (const root of rollups) {
    if (root.projectionOf !== undefined) continue;
    const rootColumns = await tableColumns(connection, `delta_${root.name}_${finestGrain(root)}`);
    if (!rootColumns.has('_derive')) continue;
    for (const layout of rollups) {
      if (layout.projectionOf !== root.name) continue;
      if (layout.dayZone && !rootColumns.has(zoneDayColumnName(layout.dayZone.zone))) continue; // a zone new to the layout: nothing derived for it
      const finest = finestGrain(layout);
      const own = await tableColumns(connection, `delta_${layout.name}_${finest}`);
      if (own.size === 0) continue; // a table new to the layout is built from its rollup's keyed rows (`buildProjections.ts`)
      const copied = rowColumns(layout).filter((c) => own.has(c) && rootColumns.has(c));
      const { bucket, outside } = derivedBucket(layout, finest);
      await connection.run(
        `INSERT INTO ${deltaTable(layout.name, finest)} (${['bucket', ...copied.map(ident), '_seq'].join(', ')})
         SELECT ${[bucket, ...copied.map(ident), '_seq'].join(', ')} FROM ${deltaTable(root.name, finestGrain(root))}
         WHERE _derive AND _seq > ${fenceOf('day')}${outside}`,
      );
    }
  }
}

/**
 * Readies a rollup's delta tables at `init`, once its keyed tables exist: deltas left by an earlier run
 * (perhaps under an older layout) are folded into the keyed tables of `grains` (those the earlier run
 * kept, from the finest grain up; a grain added since starts from a finer one's keyed rows), then the
 * finest grain's table is created anew in the layout's column order, the order the appender writes in.
 * A file written before coarser grains were derived also holds delta tables of other grains than the
 * finest (a rollup's hour and day; a projection's minute, empty, and day), each the same facts at its
 * grain: then each table folds into its own grain only, and all are dropped.
 */
export async function resetDeltaTables(
  connection: DuckDBConnection,
  layout: RollupLayout,
  grains: readonly StoredGrain[],
  zones: readonly string[] = [],
): Promise<void> {
  const existing = new Map<StoredGrain, Set<string>>();
  for (const grain of STORED_GRAINS) {
    const columns = await tableColumns(connection, `delta_${layout.name}_${grain}`);
    if (columns.size > 0) existing.set(grain, columns);
  }
  const finest = finestGrain(layout);
  const ownGrainsOnly = [...existing.keys()].some((grain) => grain !== finest);
  const derived = derivedGrains(layout);
  const wanted: Array<[string, string]> = [
    ...Object.keys(layout.columns).map((c): [string, string] => [c, 'DOUBLE']),
    ...Object.keys(layout.sketches ?? {}).map((c): [string, string] => [c, 'BLOB']),
  ];
  for (const [grain, columns] of existing) {
    const table = deltaTable(layout.name, grain);
    for (const [column, type] of wanted) if (!columns.has(column)) await connection.run(`ALTER TABLE ${table} ADD COLUMN ${ident(column)} ${type}`);
    if (ownGrainsOnly) await foldDeltas(connection, layout, grain, pastFence(table, grain));
    else for (const target of grains) if (derived.includes(target)) await foldDeltas(connection, layout, target, grainDeltas(layout, target));
    await connection.run(`DROP TABLE ${table}`);
  }
  await connection.run(deltaDdl(layout, finest, zones));
}

/**
 * Appends a batch's checked deltas to the delta tables, one write per table, straight from the projector's
 * objects; returns the rows appended. An absent sum is written as 0, an absent min/max or sketch as NULL,
 * exactly what the keyed upsert would make of them. With `derive`, only declared rollups' rows are
 * written, standing for the tables derived from them (see "Derived delta rows"), each with the start of
 * its minute's day in each zone of `zonesOf(rollup)`.
 */
export async function appendRollupDeltas(
  connection: DuckDBConnection,
  tables: readonly CheckedDeltaTable[],
  seq: number,
  options: { derive: boolean; zonesOf: (root: RollupLayout) => readonly string[]; deferred?: DeferredInserts } = { derive: false, zonesOf: () => [] },
): Promise<number> {
  let appended = 0;
  for (const { layout, grain, deltas } of tables) {
    if (deltas.length === 0) continue;
    const root = layout.projectionOf === undefined;
    if (options.derive && !root) continue;
    const columns = Object.entries(layout.columns);
    const sketches = Object.keys(layout.sketches ?? {});
    const zones = root ? options.zonesOf(layout).map((zone) => ZoneDays.of(zone)) : [];
    const batch = BigInt(seq);
    await appendRows(
      connection,
      `delta_${layout.name}_${grain}`,
      deltas,
      (appender, delta) => {
        appender.appendTimestamp(toTimestamp(delta.bucket));
        for (const dimension of layout.dimensions) appender.appendVarchar(delta.dims[dimension] ?? '');
        for (const [column, kind] of columns) {
          const value = delta.values[column];
          if (value !== undefined) appender.appendDouble(value);
          else if (kind === 'sum') appender.appendDouble(0);
          else appender.appendNull();
        }
        for (const column of sketches) {
          const sketch = delta.sketches?.[column];
          if (sketch) appender.appendBlob(sketch.encode());
          else appender.appendNull();
        }
        appender.appendBigInt(batch);
        if (!root) return;
        appender.appendBoolean(options.derive);
        for (const days of zones) {
          const start = options.derive ? days.startOf(delta.bucket.getTime()) : null;
          if (start === null) appender.appendNull();
          else appender.appendTimestamp(toTimestamp(new Date(start)));
        }
      },
      {},
      options.deferred,
    );
    appended += deltas.length;
  }
  return appended;
}

/** The condition that bounds pending delta rows to the applies up to `upTo` (none: every pending row). */
function throughSeq(upTo: number | undefined): string {
  if (upTo === undefined) return '';
  if (!Number.isSafeInteger(upTo) || upTo < 0) throw new Error(`upTo must be a non-negative integer, got ${upTo}`);
  return ` AND _seq <= ${upTo}`;
}

/**
 * Folds the pending delta rows (those of the applies up to `upTo`, when given: a compaction slice) into the
 * keyed tables of the grains `which` names, from the finest up, inside the caller's transaction; each
 * grain takes the rows past its own fence (see `DELTA_FENCE_DDL`).
 * Measures and sketches go in one `INSERT ... SELECT ... GROUP BY ... ON CONFLICT` per grain (sketches
 * through DuckDB's calls into the merge functions of `duckDbSketchMerge.ts`, registered when the store
 * opens). Returns the delta rows folded.
 */
export async function compactDeltas(
  connection: DuckDBConnection,
  layout: RollupLayout,
  upTo?: number,
  which: FoldedGrains = 'all',
  derivedFrom?: RollupLayout,
): Promise<number> {
  const grains = foldedGrains(layout, which);
  if (grains.length === 0) return 0;
  // The day fence is never past the fine one: past it lie the rows of every grain still to fold.
  const pending = `_seq > ${fenceOf(which === 'fine' ? 'hour' : 'day')}${throughSeq(upTo)}`;
  const own = `SELECT count(*) FROM ${deltaTable(layout.name, finestGrain(layout))} WHERE ${pending}`;
  const derived = derivedFrom ? ` + (SELECT count(*) FROM ${deltaTable(derivedFrom.name, finestGrain(derivedFrom))} WHERE _derive AND ${pending})` : '';
  const [[count]] = await readRows(connection, `SELECT (${own})${derived}`);
  if (Number(count) === 0) return 0;
  for (const grain of grains) await foldDeltas(connection, layout, grain, grainDeltas(layout, grain, upTo, derivedFrom));
  return Number(count);
}

/** Folds `source` (delta rows in the keyed table's columns) into the grain's keyed table. */
async function foldDeltas(connection: DuckDBConnection, layout: RollupLayout, grain: StoredGrain, source: string): Promise<void> {
  await connection.run(upsertDeltasSql(layout, grain, source));
}

/**
 * The keyed upsert of a grain's deltas merged per key: measures by sum/min/max (a sum is never NULL in a
 * delta, see `appendRollupDeltas`), sketches by the merge functions of `duckDbSketchMerge.ts`, both in the
 * group and against the stored row, so each key is found through the primary-key index, never by a scan.
 */
function upsertDeltasSql(layout: RollupLayout, grain: StoredGrain, source: string): string {
  const table = rollupTable(layout.name, grain);
  const keys = ['bucket', ...layout.dimensions.map(ident)];
  const columns = Object.entries(layout.columns);
  const sketches = sketchColumns(layout);
  const names = [...keys, ...columns.map(([column]) => ident(column)), ...sketches.map(([column]) => ident(column))].join(', ');
  const aggregates = [
    ...columns.map(([column, kind]) => `${kind}(${ident(column)})`),
    ...sketches.map(([column, kind]) => groupSketchMergeSql(kind, ident(column))),
  ];
  const groups = keys.map((_, i) => i + 1).join(', ');
  const sets = [
    ...columns.map(([column, kind]) => `${ident(column)} = ${mergeSql(kind, `${table}.${ident(column)}`, `excluded.${ident(column)}`)}`),
    ...sketches.map(([column, kind]) => `${ident(column)} = ${pairSketchMergeSql(kind, `${table}.${ident(column)}`, `excluded.${ident(column)}`)}`),
  ];
  const action = sets.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${sets.join(', ')}`;
  return `INSERT INTO ${table} (${names}) SELECT ${[...keys, ...aggregates].join(', ')} FROM ${source}
    GROUP BY ${groups} ON CONFLICT (${keys.join(', ')}) ${action}`;
}

/** Moves the fences of `which` grains past `seq`: their deltas up to it count as folded (inside the compaction's transaction). */
export async function moveDeltaFence(connection: DuckDBConnection, seq: number, which: FoldedGrains = 'all'): Promise<void> {
  const sets = { fine: 'folded = $1', day: 'folded_day = $1', all: 'folded = $1, folded_day = $1' }[which];
  await connection.run(`UPDATE delta_fence SET ${sets}`, [BigInt(seq)]);
}

/** The fence as stored (0 on a fresh file). */
export async function readDeltaFence(connection: DuckDBConnection): Promise<number> {
  const rows = await readRows(connection, 'SELECT folded FROM delta_fence');
  if (rows.length === 0) {
    await connection.run('INSERT INTO delta_fence (folded, folded_day) VALUES (0, 0)');
    return 0;
  }
  return Number(rows[0][0]);
}

/** Deletes the delta rows behind both fences (after the compaction committed, in a transaction of its own). */
export async function dropFoldedDeltas(connection: DuckDBConnection, layout: RollupLayout): Promise<void> {
  await connection.run(`DELETE FROM ${deltaTable(layout.name, finestGrain(layout))} WHERE _seq <= ${fenceOf('day')}`);
}

/**
 * The rows a bucket query reads for a rollup grain: its keyed rows and the pending delta rows of the
 * table's finest grain truncated to the grain, same columns.
 */
export function rollupRowsSql(layout: RollupLayout, grain: StoredGrain, keyedTable: string, columns: readonly string[], derivedFrom?: RollupLayout): string {
  const list = columns.join(', ');
  return `(SELECT ${list} FROM ${keyedTable} UNION ALL SELECT ${list} FROM ${grainDeltas(layout, grain, undefined, derivedFrom)})`;
}
