import type { Sketch } from '../sketches/sketchKinds.js';
import type { RollupDelta, RollupLayout, StoredGrain } from './Store.js';
import { mergeRollupDeltas } from './mergeRollupDeltas.js';
import type { RepairSession } from './repairStatements.js';
import { mergeEncoded, sketchColumns, sketchRowKey } from './sketchRows.js';

/** Which stored rows to merge into which: `source`'s rows of a grain, written as `target`'s rows of another. */
export interface Reaggregation {
  source: RollupLayout;
  sourceGrain: StoredGrain;
  /** Same measures as `source`; its dimensions a subset of the source's. */
  target: RollupLayout;
  targetGrain: StoredGrain;
  /** The target bucket a source row's bucket lands in. */
  bucketOf: (bucket: Date) => Date;
}

/**
 * Merges `source`'s rows of [from, to) into `target`'s: numbers by their merge kind, sketches decoded and
 * merged in JS, the target's dimensions picked from the source's. The merged rows are upserted (merged
 * into what the target holds there: the caller deletes first to replace). Returns the rows written.
 * Building a projection from its rollup and a zone day from its hours both come down to this.
 */
export async function reaggregateRows(
  session: RepairSession,
  { source, sourceGrain, target, targetGrain, bucketOf }: Reaggregation,
  from: Date,
  to: Date,
): Promise<number> {
  const stored = await session.readRows(source, sourceGrain, from, to);
  if (stored.length === 0) return 0;
  const columns = Object.keys(source.columns);
  const kinds = sketchColumns(source);
  const sketches = new Map<string, Array<Uint8Array | null>>();
  if (kinds.length > 0) {
    for (const row of await session.readSketchRows(source, sourceGrain, from, to)) sketches.set(sketchRowKey(row.bucket, row.dims), row.sketches);
  }
  const dimensionIndex = target.dimensions.map((d) => source.dimensions.indexOf(d));
  const deltas = stored.map((row): RollupDelta => {
    const dims = Object.fromEntries(target.dimensions.map((d, i) => [d, row.dims[dimensionIndex[i]]]));
    const values: Record<string, number> = {};
    row.values.forEach((value, i) => {
      if (value !== null) values[columns[i]] = value;
    });
    const encoded = sketches.get(sketchRowKey(row.bucket, row.dims));
    const delta: RollupDelta = { rollup: target.name, grain: targetGrain, bucket: bucketOf(row.bucket), dims, values };
    if (encoded) {
      const decoded: Record<string, Sketch> = {};
      kinds.forEach(([column, kind], i) => {
        const sketch = mergeEncoded(kind, [encoded[i]]);
        if (sketch) decoded[column] = sketch;
      });
      delta.sketches = decoded;
    }
    return delta;
  });
  const tables = mergeRollupDeltas(deltas, new Map([[target.name, target]]));
  await session.upsertRollups(tables);
  return tables.reduce((count, table) => count + table.rows.length, 0);
}
