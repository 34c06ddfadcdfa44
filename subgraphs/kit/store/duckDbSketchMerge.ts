import { BLOB, DuckDBBlobValue, DuckDBScalarFunction, LIST, type DuckDBBlobVector, type DuckDBConnection, type DuckDBListVector } from '@duckdb/node-api';
import { SKETCH_KINDS, type SketchKind } from '../sketches/sketchKinds.js';
import { mergeStoredBytes } from './sketchRows.js';

/*
 * Sketch merges inside DuckDB statements. A compaction folds delta rows into the keyed tables with one
 * `INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE` per grain; the sketch columns merge there too,
 * through one scalar function per sketch kind that DuckDB calls back into JS with a chunk of lists of
 * encoded sketches (`mergeStoredBytes`, the same bytes a merge in JS gives). Before, the keys whose
 * sketches needed a merge were found by joining the grain's delta rows to its keyed table, read out,
 * merged and written back through a staging table: that join scanned the keyed table, so a compaction
 * slice cost more as the table grew (issue #16). The upsert finds each key through the primary-key index.
 */

/** The SQL name of the scalar function merging a list of `kind` sketches (`mesh_` names no DuckDB function). */
export const sketchMergeFunction = (kind: SketchKind): string => `mesh_merge_${kind}`;

/**
 * Registers the merge function of every sketch kind with `connection`'s database (DuckDB keeps scalar
 * functions in its catalog: every connection of the database sees them; registering again is accepted).
 * Each takes a `BLOB[]` of encoded sketches of its kind and returns their merge, NULL for a NULL list or
 * one without a sketch. Bytes that do not decode fail the statement (`Invalid Input Error: …`) and with
 * it the caller's transaction: a compaction rolls back whole and its deltas stay pending.
 */
export function registerSketchMergeFunctions(connection: DuckDBConnection): void {
  for (const kind of SKETCH_KINDS) {
    connection.registerScalarFunction(
      DuckDBScalarFunction.create({
        name: sketchMergeFunction(kind),
        returnType: BLOB,
        parameterTypes: [LIST(BLOB)],
        mainFunction: (_info, input, output) =>
          mergeSketchLists(kind, input.getColumnVector(0) as DuckDBListVector, output as DuckDBBlobVector, input.rowCount),
      }),
    );
  }
}

/** Writes each row's merge of its list of sketches to `output`. */
function mergeSketchLists(kind: SketchKind, lists: DuckDBListVector, output: DuckDBBlobVector, rows: number): void {
  const items = lists.childVector as DuckDBBlobVector;
  for (let row = 0; row < rows; row++) {
    const parts: Uint8Array[] = [];
    if (lists.getItemVector(row) !== null) {
      const first = lists.getEntryOffset(row);
      const end = first + lists.getEntryLength(row);
      for (let at = first; at < end; at++) {
        const bytes = items.getItemBytes(at);
        if (bytes !== null) parts.push(bytes);
      }
    }
    // One part is taken as it is stored; several are merged (both as a merge in JS would store them).
    output.setItem(row, parts.length === 0 ? null : new DuckDBBlobValue(parts.length === 1 ? parts[0] : mergeStoredBytes(kind, parts)));
  }
  output.flush();
}

/**
 * The merge of a group's sketches of `column` (an aggregate over the group's rows): NULL without any,
 * the one sketch as it is, the merge of several (only then is the function called).
 */
export function groupSketchMergeSql(kind: SketchKind, column: string): string {
  return `CASE WHEN count(${column}) = 1 THEN any_value(${column}) WHEN count(${column}) > 1 THEN ${sketchMergeFunction(kind)}(list(${column}) FILTER (WHERE ${column} IS NOT NULL)) END`;
}

/** The merge of a stored sketch and an incoming one, either possibly NULL (an upsert's conflict action). */
export function pairSketchMergeSql(kind: SketchKind, current: string, incoming: string): string {
  return `CASE WHEN ${current} IS NULL THEN ${incoming} WHEN ${incoming} IS NULL THEN ${current} ELSE ${sketchMergeFunction(kind)}([${current}, ${incoming}]) END`;
}
