import type { Sketch } from '../sketches/sketchKinds.js';
import { GRAIN_MS, finestGrain, type RollupDelta, type RollupLayout, type StoredGrain } from './Store.js';
import { mergeRollupDeltas } from './mergeRollupDeltas.js';
import type { RepairSession } from './repairSession.js';
import { mergeEncoded, sketchColumns, sketchRowKey } from './sketchRows.js';

/** Earliest and latest bucket of a rollup table, or null when it holds no row (a dialect's one statement). */
export type BucketRange = (layout: RollupLayout, grain: StoredGrain) => Promise<{ min: Date; max: Date } | null>;

/** What `buildProjections` did: rows written per projection it built (none when every projection was ready). */
export type BuiltProjections = Record<string, number>;

/**
 * Fills each projection (`RollupLayout.projectionOf`) that holds no row while its rollup does: a projection
 * new to a store that already holds facts (a file or schema written before projections existed, a projection
 * declared later) is created empty, and the history planner reads it at once. Its finest grain (the hour) is
 * re-aggregated from the rollup's hour rows over the projection's dimensions (numbers by their merge kind,
 * sketches merged in JS), and its day rows from the rollup's day rows (which retention may keep longer than
 * the hours), one UTC day at a time so memory follows a day of rollup rows. Runs in the caller's (init's) transaction, so a
 * projection is either complete or still empty; a store without rows costs one statement per projection.
 *
 * A projection named in `stale` is rebuilt whatever it holds: its rows are deleted first. A store that
 * records which layout its writers maintain (PostgresStore) names the projections they did not maintain,
 * e.g. one dropped from the definition and declared again, whose rows no longer add up to the rollup's.
 */
export async function buildProjections(
  session: RepairSession,
  bucketRange: BucketRange,
  layouts: readonly RollupLayout[],
  stale: ReadonlySet<string> = new Set(),
): Promise<BuiltProjections> {
  const byName = new Map(layouts.map((layout) => [layout.name, layout]));
  const built: BuiltProjections = {};
  for (const projection of layouts) {
    const parent = projection.projectionOf === undefined ? undefined : byName.get(projection.projectionOf);
    if (!parent) continue;
    const finest = finestGrain(projection);
    const grains = finest === 'day' ? (['day'] as const) : ([finest, 'day'] as const);
    if (stale.has(projection.name)) {
      for (const grain of grains) {
        const own = await bucketRange(projection, grain);
        if (own) await session.deleteRows(projection, grain, own.min, new Date(own.max.getTime() + GRAIN_MS[grain]));
      }
    } else {
      if (await bucketRange(projection, finest)) continue;
      if (!(await bucketRange(parent, finest))) continue;
    }
    // Each grain from the rollup's own rows of that grain: retention keeps coarse grains longer than fine
    // ones, so day rows older than the rollup's oldest hour exist only at the day grain.
    let rows = 0;
    for (const grain of grains) {
      const range = await bucketRange(parent, grain);
      if (!range) continue;
      const end = range.max.getTime() + GRAIN_MS[grain];
      for (let day = Math.floor(range.min.getTime() / GRAIN_MS.day) * GRAIN_MS.day; day < end; day += GRAIN_MS.day) {
        rows += await projectDay(session, parent, projection, grain, new Date(day), new Date(day + GRAIN_MS.day));
      }
    }
    built[projection.name] = rows;
  }
  return built;
}

/** Writes the projection's `grain` rows of [from, to) as the merge of the rollup's; returns how many. */
async function projectDay(session: RepairSession, parent: RollupLayout, projection: RollupLayout, grain: StoredGrain, from: Date, to: Date): Promise<number> {
  const stored = await session.readRows(parent, grain, from, to);
  if (stored.length === 0) return 0;
  const columns = Object.keys(parent.columns);
  const kinds = sketchColumns(parent);
  const sketches = new Map<string, Array<Uint8Array | null>>();
  if (kinds.length > 0) {
    for (const row of await session.readSketchRows(parent, grain, from, to)) sketches.set(sketchRowKey(row.bucket, row.dims), row.sketches);
  }
  const deltas = stored.map((row): RollupDelta => {
    const dims = Object.fromEntries(projection.dimensions.map((d) => [d, row.dims[parent.dimensions.indexOf(d)]]));
    const values: Record<string, number> = {};
    row.values.forEach((value, i) => {
      if (value !== null) values[columns[i]] = value;
    });
    const encoded = sketches.get(sketchRowKey(row.bucket, row.dims));
    const delta: RollupDelta = { rollup: projection.name, grain, bucket: row.bucket, dims, values };
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
  const tables = mergeRollupDeltas(deltas, new Map([[projection.name, projection]]));
  await session.upsertRollups(tables);
  return tables.reduce((count, table) => count + table.rows.length, 0);
}

/** The one start-up line saying which projections were built and from how many rows (nothing when none was). */
export function logBuiltProjections(store: string, built: BuiltProjections): void {
  const entries = Object.entries(built);
  if (entries.length === 0) return;
  console.info(`${store}: built rollup projection(s) from their rollups' rows: ${entries.map(([name, rows]) => `${name} (${rows} rows)`).join(', ')}`);
}
