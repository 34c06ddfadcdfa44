import { isSketch, mergeSketch, sketchKind, type Sketch } from '../sketches/sketchKinds.js';
import { GRAIN_MS, STORED_GRAINS, finestGrain, type MergeKind, type RollupDelta, type RollupLayout, type StateWrite, type StoredGrain } from './Store.js';

/** One rollup row to upsert: deltas of a batch with the same bucket and dimensions, merged. */
export interface MergedRollupRow {
  bucket: Date;
  /** Dimension values in the layout's dimension order ('' for missing ones). */
  dims: string[];
  /** Merged values in the order of the layout's columns; `undefined` where no delta had the column. */
  values: (number | undefined)[];
  /** Merged sketches in the order of the layout's sketch columns, when the layout has any. */
  sketches?: (Sketch | undefined)[];
}

/** Merged rows of one rollup table (one rollup at one grain). */
export interface MergedRollupTable {
  layout: RollupLayout;
  grain: StoredGrain;
  rows: MergedRollupRow[];
}

export { GRAIN_MS };

/** Combines two partial aggregates of one column. */
export function mergeValue(kind: MergeKind, a: number, b: number): number {
  if (kind === 'sum') return a + b;
  return kind === 'min' ? Math.min(a, b) : Math.max(a, b);
}

/** Rows of one table found by bucket, then each dimension value in turn (no string keys to build). */
type RowIndex = Map<number | string, RowIndex | MergedRollupRow>;

interface TableMerge {
  table: MergedRollupTable;
  index: RowIndex;
  columnIndex: Map<string, number>;
  kinds: MergeKind[];
  sketchIndex: Map<string, number>;
}

/**
 * Pre-merges a batch's deltas per (rollup, grain, bucket, dims), because an upsert statement may touch each
 * key only once. Validates every delta against the layout, so a bad projection fails before any write.
 */
export function mergeRollupDeltas(deltas: RollupDelta[], layouts: ReadonlyMap<string, RollupLayout>): MergedRollupTable[] {
  const tables = tableMerges();
  for (const delta of deltas) {
    const merge = tableMerge(tables, delta, layouts);
    const { layout } = merge.table;
    const bucketMs = assertBucket(delta, layout);
    const dims = dimensionValues(delta, layout);
    let node = merge.index;
    for (let i = -1; i < dims.length - 1; i++) {
      const key = i < 0 ? bucketMs : dims[i];
      let next = node.get(key) as RowIndex | undefined;
      if (!next) node.set(key, (next = new Map()));
      node = next;
    }
    const lastKey = dims.length > 0 ? dims[dims.length - 1] : bucketMs;
    let row = node.get(lastKey) as MergedRollupRow | undefined;
    if (!row) {
      row = { bucket: delta.bucket, dims, values: new Array<number | undefined>(merge.kinds.length).fill(undefined) };
      if (merge.sketchIndex.size) row.sketches = new Array<Sketch | undefined>(merge.sketchIndex.size).fill(undefined);
      node.set(lastKey, row);
      merge.table.rows.push(row);
    }
    mergeValues(row, delta, merge);
    if (delta.sketches) mergeSketches(row, delta, merge);
  }
  return tables.ordered.map((merge) => merge.table);
}

/** A batch's deltas of one rollup table, checked, as the projector made them. */
export interface CheckedDeltaTable {
  layout: RollupLayout;
  grain: StoredGrain;
  deltas: RollupDelta[];
}

/**
 * The deltas at each table's finest grain (`finestGrain`) grouped by table and validated exactly like
 * `mergeRollupDeltas` (deltas of coarser grains are validated too, then left out), without building rows:
 * for a store that appends them to tables without a key (DuckDB's delta tables), where rows of one key
 * merge when read or compacted and the coarser grains derive from them.
 */
export function checkedDeltaTables(deltas: RollupDelta[], layouts: ReadonlyMap<string, RollupLayout>): CheckedDeltaTable[] {
  const tables = tableMerges();
  const checked = new Map<TableMerge, CheckedDeltaTable>();
  for (const delta of deltas) {
    const merge = tableMerge(tables, delta, layouts);
    const { layout } = merge.table;
    assertBucket(delta, layout);
    checkDimensions(delta, layout);
    checkValues(delta, merge);
    if (delta.sketches) checkSketches(delta, merge);
    if (delta.grain !== finestGrain(layout)) continue;
    let table = checked.get(merge);
    if (!table) checked.set(merge, (table = { layout, grain: delta.grain, deltas: [] }));
    table.deltas.push(delta);
  }
  return [...checked.values()];
}

function checkValues(delta: RollupDelta, { table, columnIndex }: TableMerge): void {
  for (const column in delta.values) {
    if (!Object.hasOwn(delta.values, column)) continue;
    const value = delta.values[column];
    if (!columnIndex.has(column)) throw new Error(`delta for ${table.layout.name} has unknown column ${JSON.stringify(column)}`);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new Error(`delta for ${table.layout.name}.${column} is not a finite number: ${String(value)}`);
    }
  }
}

function checkSketches(delta: RollupDelta, { table, sketchIndex }: TableMerge): void {
  for (const column in delta.sketches) {
    if (!Object.hasOwn(delta.sketches, column)) continue;
    const sketch = delta.sketches[column];
    if (!sketchIndex.has(column)) throw new Error(`delta for ${table.layout.name} has unknown sketch column ${JSON.stringify(column)}`);
    if (!isSketch(sketch) || sketchKind(sketch) !== table.layout.sketches![column]) {
      throw new Error(`delta for ${table.layout.name}.${column} is not a ${table.layout.sketches![column]} sketch`);
    }
  }
}

/** `dimensionValues`' checks without building the list. */
function checkDimensions(delta: RollupDelta, layout: RollupLayout): void {
  let present = 0;
  for (const name of layout.dimensions) {
    if (!Object.hasOwn(delta.dims, name)) continue;
    present++;
    const value = delta.dims[name] ?? '';
    if (typeof value !== 'string') throw new Error(`delta for ${layout.name} has a non-string value for dimension ${name}`);
  }
  if (present !== ownKeyCount(delta.dims)) {
    const unknown = Object.keys(delta.dims).find((name) => !layout.dimensions.includes(name));
    throw new Error(`delta for ${layout.name} has unknown dimension ${JSON.stringify(unknown)}`);
  }
}

/** Table merges of a batch by rollup, then grain (no key string per delta), and in first-seen order. */
interface TableMerges {
  byRollup: Map<string, Map<string, TableMerge>>;
  ordered: TableMerge[];
}

const tableMerges = (): TableMerges => ({ byRollup: new Map(), ordered: [] });

function tableMerge(tables: TableMerges, delta: RollupDelta, layouts: ReadonlyMap<string, RollupLayout>): TableMerge {
  let grains = tables.byRollup.get(delta.rollup);
  const existing = grains?.get(delta.grain);
  if (existing) return existing;
  const layout = layouts.get(delta.rollup);
  if (!layout) throw new Error(`delta for unknown rollup ${JSON.stringify(delta.rollup)}`);
  if (!STORED_GRAINS.includes(delta.grain)) throw new Error(`delta for ${layout.name} has unknown grain ${JSON.stringify(delta.grain)}`);
  const columns = Object.keys(layout.columns);
  const merge: TableMerge = {
    table: { layout, grain: delta.grain, rows: [] },
    index: new Map(),
    columnIndex: new Map(columns.map((column, i) => [column, i])),
    kinds: columns.map((column) => layout.columns[column]),
    sketchIndex: new Map(Object.keys(layout.sketches ?? {}).map((column, i) => [column, i])),
  };
  if (!grains) tables.byRollup.set(delta.rollup, (grains = new Map<string, TableMerge>()));
  grains.set(delta.grain, merge);
  tables.ordered.push(merge);
  return merge;
}

function mergeValues(row: MergedRollupRow, delta: RollupDelta, { table, columnIndex, kinds }: TableMerge): void {
  for (const column in delta.values) {
    if (!Object.hasOwn(delta.values, column)) continue;
    const i = columnIndex.get(column);
    const value = delta.values[column];
    if (i === undefined) throw new Error(`delta for ${table.layout.name} has unknown column ${JSON.stringify(column)}`);
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new Error(`delta for ${table.layout.name}.${column} is not a finite number: ${String(value)}`);
    }
    const current = row.values[i];
    row.values[i] = current === undefined ? value : mergeValue(kinds[i], current, value);
  }
}

/** A delta's sketch is copied before it is merged into: the delta stays as the projector made it. */
function mergeSketches(row: MergedRollupRow, delta: RollupDelta, { table, sketchIndex }: TableMerge): void {
  for (const [column, sketch] of Object.entries(delta.sketches!)) {
    const i = sketchIndex.get(column);
    if (i === undefined) throw new Error(`delta for ${table.layout.name} has unknown sketch column ${JSON.stringify(column)}`);
    if (!isSketch(sketch) || sketchKind(sketch) !== table.layout.sketches![column]) {
      throw new Error(`delta for ${table.layout.name}.${column} is not a ${table.layout.sketches![column]} sketch`);
    }
    const current = row.sketches![i];
    if (current === undefined) row.sketches![i] = sketch.clone();
    else mergeSketch(current, sketch);
  }
}

/** Keeps the last write per (state, key): writes come in fact order, so the last one is the newest. */
export function mergeStateWrites(writes: StateWrite[], states: ReadonlySet<string>): Map<string, StateWrite[]> {
  const byState = new Map<string, Map<string, StateWrite>>();
  for (const write of writes) {
    if (!states.has(write.state)) throw new Error(`state write for unknown state ${JSON.stringify(write.state)}`);
    if (typeof write.key !== 'string') throw new Error(`state write for ${write.state} has a non-string key`);
    if (!isValidDate(write.updatedAt)) throw new Error(`state write for ${write.state}/${write.key} has an invalid updatedAt`);
    let keys = byState.get(write.state);
    if (!keys) byState.set(write.state, (keys = new Map<string, StateWrite>()));
    keys.set(write.key, write);
  }
  return new Map([...byState].map(([state, keys]) => [state, [...keys.values()]]));
}

export function isValidDate(value: unknown): value is Date {
  return value instanceof Date && Number.isFinite(value.getTime());
}

function assertBucket(delta: RollupDelta, layout: RollupLayout): number {
  if (!isValidDate(delta.bucket)) throw new Error(`delta for ${layout.name} has an invalid bucket`);
  const ms = delta.bucket.getTime();
  // A zone-day table's days start at local midnights, which its zone puts on whole UTC hours (`zoneDays.ts`).
  const step = layout.dayZone && delta.grain === 'day' ? GRAIN_MS.hour : GRAIN_MS[delta.grain];
  if (ms % step !== 0) {
    throw new Error(`delta bucket ${delta.bucket.toISOString()} for ${layout.name} is not truncated to the ${delta.grain}`);
  }
  return ms;
}

function dimensionValues(delta: RollupDelta, layout: RollupLayout): string[] {
  const dims: string[] = [];
  let present = 0;
  for (const name of layout.dimensions) {
    const value = Object.hasOwn(delta.dims, name) ? (present++, delta.dims[name] ?? '') : '';
    if (typeof value !== 'string') throw new Error(`delta for ${layout.name} has a non-string value for dimension ${name}`);
    dims.push(value);
  }
  // Only when some key was not a dimension is it worth finding which one.
  if (present !== ownKeyCount(delta.dims)) {
    const unknown = Object.keys(delta.dims).find((name) => !layout.dimensions.includes(name));
    throw new Error(`delta for ${layout.name} has unknown dimension ${JSON.stringify(unknown)}`);
  }
  return dims;
}

function ownKeyCount(record: object): number {
  let count = 0;
  for (const key in record) if (Object.hasOwn(record, key)) count++;
  return count;
}
