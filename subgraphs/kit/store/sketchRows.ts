import { DistinctSketch } from '../sketches/DistinctSketch.js';
import { QuantileSketch } from '../sketches/QuantileSketch.js';
import { decodeSketch, mergeSketch, type Sketch, type SketchKind } from '../sketches/sketchKinds.js';
import type { RollupLayout } from './Store.js';
import type { MergedRollupRow } from './mergeRollupDeltas.js';

/*
 * Sketch columns, written once for both stores. Neither DuckDB nor PostgreSQL can merge our sketches in
 * SQL, so a write reads the stored sketches of the rows it touches, merges in JS and writes the result
 * back; PostgresStore's upsert returns them while it holds the rows' locks, so a concurrent replica's
 * merge waits and is never lost.
 */

/** The sketches of one stored row, encoded, in the layout's sketch column order (null: none stored). */
export interface SketchRow {
  bucket: Date;
  dims: string[];
  sketches: (Uint8Array | null)[];
}

/** The layout's sketch columns and kinds, in order; empty when it has none. */
export function sketchColumns(layout: RollupLayout): Array<[column: string, kind: SketchKind]> {
  return Object.entries(layout.sketches ?? {});
}

/**
 * The identity of a row: bucket and dimension values, joined by NUL (which cannot occur in a number, and
 * which facts may not hold). Dimension values with a NUL anyway take the JSON form, which begins with `[`
 * where the joined one begins with a digit or `-`, so no two rows share a key either way.
 */
export function sketchRowKey(bucket: Date, dims: readonly string[]): string {
  let key = String(bucket.getTime());
  for (const dim of dims) {
    if (dim.includes('\u0000')) return JSON.stringify([bucket.getTime(), ...dims]);
    key += `\u0000${dim}`;
  }
  return key;
}

/**
 * What to write for the merged rows that carry sketches: each incoming sketch merged into the stored one;
 * a column the batch did not touch is written back as stored.
 */
export function mergeStoredSketches(layout: RollupLayout, rows: readonly MergedRollupRow[], stored: readonly SketchRow[]): SketchRow[] {
  const kinds = sketchColumns(layout).map(([, kind]) => kind);
  const byKey = new Map(stored.map((row) => [sketchRowKey(row.bucket, row.dims), row.sketches]));
  const writes: SketchRow[] = [];
  for (const row of rows) {
    if (!row.sketches?.some(Boolean)) continue;
    const before = byKey.get(sketchRowKey(row.bucket, row.dims));
    const sketches = row.sketches.map((incoming, i) => {
      const old = before?.[i] ?? null;
      if (!incoming) return old;
      if (!old) return incoming.encode();
      const merged = decodeSketch(kinds[i], old);
      mergeSketch(merged, incoming);
      return merged.encode();
    });
    writes.push({ bucket: row.bucket, dims: row.dims, sketches });
  }
  return writes;
}

/**
 * The bytes of the merge of stored sketches of one kind (at least one): the same bytes as decoding,
 * merging and encoding them, without a sketch built per part (`DistinctSketch.mergeBytes`,
 * `QuantileSketch.mergeBytes`).
 */
export function mergeStoredBytes(kind: SketchKind, parts: readonly Uint8Array[]): Uint8Array {
  return kind === 'hll' ? DistinctSketch.mergeBytes(parts) : QuantileSketch.mergeBytes(parts);
}

/** Merges a group's stored sketches of one column (as a store returns them), or undefined for none. */
export function mergeEncoded(kind: SketchKind, encoded: readonly (Uint8Array | null)[]): Sketch | undefined {
  let merged: Sketch | undefined;
  for (const bytes of encoded) {
    if (!bytes) continue;
    // A distinct sketch takes the others' entries straight from their bytes (no sketch built per part).
    if (merged instanceof DistinctSketch) merged.mergeEncoded(bytes);
    else if (merged) mergeSketch(merged, decodeSketch(kind, bytes));
    else merged = decodeSketch(kind, bytes);
  }
  return merged;
}

/**
 * The coarser rows' sketches as the merge of the finer rows' (repair derives hours from minutes and days
 * from hours this way); `truncate` maps a finer bucket to its coarser one.
 */
export function deriveSketchRows(layout: RollupLayout, finer: readonly SketchRow[], truncate: (bucket: Date) => Date): SketchRow[] {
  const kinds = sketchColumns(layout).map(([, kind]) => kind);
  const groups = new Map<string, { bucket: Date; dims: string[]; parts: (Uint8Array | null)[][] }>();
  for (const row of finer) {
    const bucket = truncate(row.bucket);
    const key = sketchRowKey(bucket, row.dims);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { bucket, dims: row.dims, parts: kinds.map(() => []) }));
    row.sketches.forEach((bytes, i) => group.parts[i].push(bytes));
  }
  return [...groups.values()].map(({ bucket, dims, parts }) => ({
    bucket,
    dims,
    sketches: parts.map((encoded, i) => {
      const present = encoded.filter((bytes) => bytes !== null);
      return present.length > 0 ? mergeStoredBytes(kinds[i], present) : null;
    }),
  }));
}
