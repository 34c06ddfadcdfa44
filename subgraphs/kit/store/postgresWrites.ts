import type { PoolClient } from 'pg';
import { GRAIN_MS, STORED_GRAINS, type RollupLayout, type StateRow, type StateWrite, type StoredFact, type StoredGrain } from './Store.js';
import { mergeStoredBytes, sketchColumns, sketchRowKey, type SketchRow } from './sketchRows.js';
import { byteaArray, epochMsArray, numberArray, textArray } from './postgresArrayLiteral.js';
import type { MergedRollupRow, MergedRollupTable } from './mergeRollupDeltas.js';
import {
  insertFactsSql,
  lockStateKeysSql,
  raiseWatermarkSql,
  readStatesSql,
  writeSketchesSql,
  timestampParam,
  upsertRollupSql,
  upsertStatesSql,
  type SchemaNames,
} from './postgresSql.js';
import { factKey } from './storeInputs.js';
import { truncateToGrain } from '../history/timeBuckets.js';

/*
 * The statements of one apply, each set-based: a chunk of rows travels as one array parameter per column
 * and `unnest` turns it back into rows (facts and state values, JSON documents themselves, as one JSON
 * array and `jsonb_to_recordset`), so a batch of thousands of facts costs a handful of round trips.
 *
 * Every write visits rows in one global order: facts by key; rollup rows in two passes, settled buckets
 * then recent ones (`rollupPasses`), each pass by table in layout and grain order and by key; states by
 * key (an apply writes them between the two passes, so that its recent rows stay locked for as short a
 * time as possible; every apply does so at that point). Replicas applying overlapping batches then wait
 * on each other's row locks instead of deadlocking; the few deadlocks left (e.g. a projector reading
 * states in an unusual order) are retried by the caller.
 */

/** Rows per statement: bounds the size of one protocol message, not the number of round trips per batch. */
const CHUNK = 10_000;

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Stores the facts that are new and returns their keys. `facts` must be free of duplicate keys. A fact that
 * a concurrent transaction has inserted but not committed makes this wait for it: if it commits, the fact
 * is a duplicate here; if it rolls back, it is inserted here. Either way it is applied exactly once.
 */
export async function insertNewFacts(client: PoolClient, names: SchemaNames, facts: StoredFact[]): Promise<Set<string>> {
  const sorted = [...facts].sort((a, b) => byKey(a.source, b.source) || byKey(a.id, b.id));
  const inserted = new Set<string>();
  const sql = insertFactsSql(names);
  for (let start = 0; start < sorted.length; start += CHUNK) {
    const chunk = sorted.slice(start, start + CHUNK);
    const rows = chunk.map((fact) => ({ source: fact.source, id: fact.id, type: fact.type, time: timestampParam(fact.time), data: fact.data }));
    const { rows: stored } = await client.query<{ source: string; id: string }>(sql, [JSON.stringify(rows)]);
    for (const row of stored) inserted.add(factKey(row.source, row.id));
  }
  return inserted;
}

/**
 * Current values of the keys, read after locking them (present or not) until the transaction ends, so a
 * read-modify-write of the same key on another replica waits for this one and then reads its result.
 * Two statements on purpose: under READ COMMITTED the SELECT's snapshot is taken after the locks are held.
 */
export async function lockAndReadStates(client: PoolClient, names: SchemaNames, state: string, keys: string[]): Promise<Map<string, Record<string, unknown>>> {
  if (keys.length === 0) return new Map();
  const unique = [...new Set(keys)].sort(byKey);
  await client.query(lockStateKeysSql, [`${names.schema}.${state}`, unique]);
  const rows = await readStateRows(client, names, state, unique);
  return new Map(rows.map((row) => [row.key, row.value]));
}

export async function readStateRows(client: PoolClient, names: SchemaNames, state: string, keys: string[]): Promise<StateRow[]> {
  if (keys.length === 0) return [];
  const { rows } = await client.query<{ key: string; value: Record<string, unknown>; updated_at: Date }>(readStatesSql(names, state), [[...new Set(keys)]]);
  return rows.map(decodeStateRow);
}

export function decodeStateRow(row: { key: string; value: Record<string, unknown>; updated_at: Date }): StateRow {
  return { key: row.key, value: row.value, updatedAt: row.updated_at };
}

/**
 * Merges pre-merged rollup rows; `layouts` gives the global table order. The statement sorts each chunk
 * itself (see `upsertRollupSql`); only a table of more than one chunk is sorted here, so the chunks follow
 * one another in key order too. Settled rows first, then recent ones (see {@link rollupPasses}).
 */
export async function upsertRollups(client: PoolClient, names: SchemaNames, tables: MergedRollupTable[], layouts: readonly RollupLayout[]): Promise<void> {
  const { settled, recent } = rollupPasses(tables, layouts);
  await writeRollupTables(client, names, [...settled, ...recent]);
}

/** A batch's rollup rows in the two passes of the global write order, each pass in table order. */
export interface RollupPasses {
  /** Rows of buckets that start before `recentFrom`. */
  settled: MergedRollupTable[];
  /** Rows of buckets that start at `recentFrom` or later: the rows live facts write. */
  recent: MergedRollupTable[];
}

/**
 * Splits rollup rows into the two passes every write takes them in: the settled rows (buckets starting
 * before `recentFrom`) of every table, then the recent ones (this hour, today), each pass in `layouts`'
 * table order. A row lock is held from its upsert to the commit, and the recent buckets are the rows live
 * facts write: a backfill's batch, spread over months, locks them only at the end of its transaction
 * instead of from its first rollup statement on, so a live fact posted during the backfill waits for those
 * last statements rather than for most of the batch. The order is (pass, table, key) for every
 * transaction, repairs included (which hold the facts table against applies anyway). Two transactions
 * that compute `recentFrom` on either side of a UTC midnight, or on replicas whose clocks disagree around
 * it, may order a row of the day before yesterday differently (never today's or yesterday's, which both
 * call recent): the deadlock that can then follow is retried like any other.
 */
export function rollupPasses(tables: MergedRollupTable[], layouts: readonly RollupLayout[], recentFrom: Date = recentBucketsFrom(Date.now())): RollupPasses {
  const order = (table: MergedRollupTable) => layouts.indexOf(table.layout) * STORED_GRAINS.length + STORED_GRAINS.indexOf(table.grain);
  const from = recentFrom.getTime();
  const passes: RollupPasses = { settled: [], recent: [] };
  for (const table of [...tables].sort((a, b) => order(a) - order(b))) {
    const settled = table.rows.filter((row) => row.bucket.getTime() < from);
    if (settled.length === table.rows.length) passes.settled.push(table);
    else if (settled.length === 0) passes.recent.push(table);
    else {
      passes.settled.push({ ...table, rows: settled });
      passes.recent.push({ ...table, rows: table.rows.filter((row) => row.bucket.getTime() >= from) });
    }
  }
  return passes;
}

/** Where the recent pass starts: the start of the previous UTC day, so that today's zone days are in it too. */
export function recentBucketsFrom(nowMs: number): Date {
  return new Date(truncateToGrain(new Date(nowMs), 'day').getTime() - GRAIN_MS.day);
}

/** Upserts the tables' rows, table after table in the order given (see {@link rollupPasses}). */
export async function writeRollupTables(client: PoolClient, names: SchemaNames, tables: readonly MergedRollupTable[]): Promise<void> {
  for (const table of tables) await upsertRollupTable(client, names, table);
}

async function upsertRollupTable(client: PoolClient, names: SchemaNames, table: MergedRollupTable): Promise<void> {
  const { layout, grain, rows } = table;
  // An absent sum contributes 0; an absent min/max contributes nothing (NULL, which the merge skips).
  const absent = Object.values(layout.columns).map((kind) => (kind === 'sum' ? 0 : null));
  const sketchCount = Object.keys(layout.sketches ?? {}).length;
  const sorted = rows.length > CHUNK ? [...rows].sort(compareRows) : rows;
  const sql = upsertRollupSql(names, layout, grain);
  for (let start = 0; start < sorted.length; start += CHUNK) {
    const chunk = sorted.slice(start, start + CHUNK);
    const encoded = Array.from({ length: sketchCount }, (_, s) => chunk.map((row) => row.sketches?.[s]?.encode() ?? null));
    // With sketch columns the upsert returns the stored sketches of the rows that existed, read under the
    // row locks it holds until commit (see `upsertRollupSql`): no other replica can write them before
    // this transaction ends. New rows already hold the batch's sketches.
    const { rows: stored } = await client.query<unknown[]>({
      text: sql,
      values: [
        epochMsArray(chunk.map((row) => row.bucket)),
        ...layout.dimensions.map((_, d) => textArray(chunk.map((row) => row.dims[d]))),
        ...absent.map((fallback, c) => numberArray(chunk.map((row) => row.values[c] ?? fallback))),
        ...encoded.map(byteaArray),
      ],
      rowMode: 'array',
    });
    if (sketchCount > 0 && stored.length > 0) {
      const merged = mergeReturnedSketches(layout, chunk, encoded, stored);
      if (merged.length > 0) await writeSketchRows(client, names, layout, grain, merged);
    }
  }
}

/**
 * The sketches to write back over the rows that existed (`stored`, as the upsert returned them): each
 * stored sketch merged with the batch's, from their bytes (`mergeStoredBytes`: the same bytes as decoding,
 * merging and encoding, without a sketch built per part). A column the batch did not touch keeps its
 * stored value; a row whose every incoming sketch is absent is not written. Fails closed on a returned row
 * the batch does not hold, which the upsert cannot return.
 */
function mergeReturnedSketches(
  layout: RollupLayout,
  chunk: readonly MergedRollupRow[],
  encoded: readonly (Uint8Array | null)[][],
  stored: readonly unknown[][],
): SketchRow[] {
  const kinds = sketchColumns(layout).map(([, kind]) => kind);
  const indexByKey = new Map<string, number>();
  for (let i = 0; i < chunk.length; i++) indexByKey.set(sketchRowKey(chunk[i].bucket, chunk[i].dims), i);
  const writes: SketchRow[] = [];
  for (const returned of stored) {
    const before = decodeSketchRow(returned, layout.dimensions.length);
    const index = indexByKey.get(sketchRowKey(before.bucket, before.dims));
    if (index === undefined)
      throw new Error(`rollup ${layout.name}: the upsert returned a row the batch does not hold (${before.bucket.toISOString()}, ${before.dims.join(', ')})`);
    if (!encoded.some((column) => column[index] !== null)) continue;
    const sketches = kinds.map((kind, s) => {
      const incoming = encoded[s][index];
      const old = before.sketches[s];
      if (!incoming) return old;
      return old ? mergeStoredBytes(kind, [old, incoming]) : incoming;
    });
    writes.push({ bucket: before.bucket, dims: before.dims, sketches });
  }
  return writes;
}

export function decodeSketchRow(row: unknown[], dimensions: number): SketchRow {
  return {
    bucket: row[0] as Date,
    dims: row.slice(1, 1 + dimensions).map(String),
    sketches: row.slice(1 + dimensions).map((value) => (value instanceof Uint8Array ? value : null)),
  };
}

/** Sets the sketches of existing rows, which the caller holds locked already (see the comment inside). */
export async function writeSketchRows(
  client: PoolClient,
  names: SchemaNames,
  layout: RollupLayout,
  grain: StoredGrain,
  rows: readonly SketchRow[],
): Promise<void> {
  // The rows are locked already (by the upsert, or by the repair's lock on the facts), so their order
  // here cannot deadlock.
  const sql = writeSketchesSql(names, layout, grain);
  for (let start = 0; start < rows.length; start += CHUNK) {
    const chunk = rows.slice(start, start + CHUNK);
    await client.query(sql, [
      epochMsArray(chunk.map((row) => row.bucket)),
      ...layout.dimensions.map((_, d) => textArray(chunk.map((row) => row.dims[d]))),
      ...Object.keys(layout.sketches ?? {}).map((_, c) => byteaArray(chunk.map((row) => row.sketches[c]))),
    ]);
  }
}

function compareRows(a: { bucket: Date; dims: string[] }, b: { bucket: Date; dims: string[] }): number {
  const diff = a.bucket.getTime() - b.bucket.getTime();
  if (diff !== 0) return diff;
  for (let i = 0; i < a.dims.length; i++) {
    const order = byKey(a.dims[i], b.dims[i]);
    if (order !== 0) return order;
  }
  return 0;
}

/** Writes state values; `writesByState` holds at most one write per key (see `mergeStateWrites`). */
export async function upsertStates(client: PoolClient, names: SchemaNames, writesByState: Map<string, StateWrite[]>, states: readonly string[]): Promise<void> {
  const ordered = [...writesByState].sort(([a], [b]) => states.indexOf(a) - states.indexOf(b));
  for (const [state, writes] of ordered) {
    const sorted = [...writes].sort((a, b) => byKey(a.key, b.key));
    const sql = upsertStatesSql(names, state);
    for (let start = 0; start < sorted.length; start += CHUNK) {
      const chunk = sorted.slice(start, start + CHUNK);
      const rows = chunk.map((write) => ({ key: write.key, value: write.value, updated_at: timestampParam(write.updatedAt) }));
      await client.query(sql, [JSON.stringify(rows)]);
    }
  }
}

/** Raises the watermark to `time` if later; returns the recorded layout's fingerprint (null before any is recorded). */
export async function raiseWatermark(client: PoolClient, names: SchemaNames, time: Date): Promise<string | null> {
  const { rows } = await client.query<{ fingerprint: string }>(raiseWatermarkSql(names), [timestampParam(time)]);
  return rows[0]?.fingerprint ?? null;
}
