import { STORED_GRAINS, type MergeKind, type RollupDelta, type RollupLayout, type StateWrite, type StoredGrain } from './Store.js';

/** One rollup row to upsert: deltas of a batch with the same bucket and dimensions, merged. */
export interface MergedRollupRow {
  bucket: Date;
  /** Dimension values in the layout's dimension order ('' for missing ones). */
  dims: string[];
  /** Merged column values; a column no delta mentioned is absent. */
  values: Record<string, number>;
}

/** Merged rows of one rollup table (one rollup at one grain). */
export interface MergedRollupTable {
  layout: RollupLayout;
  grain: StoredGrain;
  rows: MergedRollupRow[];
}

/** Length of each stored grain; buckets and query boundaries are multiples of it since the epoch. */
export const GRAIN_MS: Readonly<Record<StoredGrain, number>> = { minute: 60_000, hour: 3_600_000 };

/** Combines two partial aggregates of one column. */
export function mergeValue(kind: MergeKind, a: number, b: number): number {
  if (kind === 'sum') return a + b;
  return kind === 'min' ? Math.min(a, b) : Math.max(a, b);
}

/**
 * Pre-merges a batch's deltas per (rollup, grain, bucket, dims), because an upsert statement may touch each
 * key only once. Validates every delta against the layout, so a bad projection fails before any write.
 */
export function mergeRollupDeltas(deltas: RollupDelta[], layouts: ReadonlyMap<string, RollupLayout>): MergedRollupTable[] {
  const tables = new Map<string, { table: MergedRollupTable; rows: Map<string, MergedRollupRow> }>();
  for (const delta of deltas) {
    const layout = layouts.get(delta.rollup);
    if (!layout) throw new Error(`delta for unknown rollup ${JSON.stringify(delta.rollup)}`);
    if (!STORED_GRAINS.includes(delta.grain)) throw new Error(`delta for ${layout.name} has unknown grain ${JSON.stringify(delta.grain)}`);
    const tableKey = `${layout.name}:${delta.grain}`;
    let entry = tables.get(tableKey);
    if (!entry) {
      entry = { table: { layout, grain: delta.grain, rows: [] }, rows: new Map() };
      tables.set(tableKey, entry);
    }
    const dims = dimensionValues(delta, layout);
    // Length-prefixed values keep the key unambiguous whatever characters the values hold.
    let rowKey = String(assertBucket(delta, layout));
    for (const value of dims) rowKey += `|${value.length}:${value}`;
    let row = entry.rows.get(rowKey);
    if (!row) {
      // No prototype: a column may be called e.g. `constructor`.
      row = { bucket: delta.bucket, dims, values: Object.create(null) as Record<string, number> };
      entry.rows.set(rowKey, row);
      entry.table.rows.push(row);
    }
    mergeValues(row, delta, layout);
  }
  return [...tables.values()].map((entry) => entry.table);
}

function mergeValues(row: MergedRollupRow, delta: RollupDelta, layout: RollupLayout): void {
  for (const column in delta.values) {
    if (!Object.hasOwn(delta.values, column)) continue;
    const value = delta.values[column];
    if (!Object.hasOwn(layout.columns, column)) throw new Error(`delta for ${layout.name} has unknown column ${JSON.stringify(column)}`);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`delta for ${layout.name}.${column} is not a finite number: ${String(value)}`);
    const current = row.values[column];
    row.values[column] = current === undefined ? value : mergeValue(layout.columns[column], current, value);
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
    if (!keys) byState.set(write.state, (keys = new Map()));
    keys.delete(write.key); // re-insert so the map keeps the order of last writes
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
  if (ms % GRAIN_MS[delta.grain] !== 0) {
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
  // Cheap common path: only when some key was not a dimension do we look for which one.
  if (present !== Object.keys(delta.dims).length) {
    const unknown = Object.keys(delta.dims).find((name) => !layout.dimensions.includes(name));
    throw new Error(`delta for ${layout.name} has unknown dimension ${JSON.stringify(unknown)}`);
  }
  return dims;
}
