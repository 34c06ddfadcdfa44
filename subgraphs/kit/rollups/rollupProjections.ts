import type { MeasureKind } from '../productDeclaration.js';

/**
 * A projection of a rollup: the same measures pre-aggregated over a subset of its dimensions (one grouping
 * set of the rollup's lattice, as Cube's pre-aggregations), stored as a rollup of its own at every grain.
 * A query grouped and filtered only by those dimensions reads `products × buckets` rows instead of
 * `products × regions × channels × buckets`, and merges that many sketches (hour and day parts; see
 * `PROJECTION_FINEST_GRAIN` for the minute parts).
 */
export interface RollupProjection {
  /** Store name: `<rollup>__by` for the ungrouped one, `<rollup>__by__<dim>[__<dim>...]` otherwise. */
  name: string;
  /** The declared rollup it re-aggregates. */
  of: string;
  /** Its dimensions, in the rollup's order. */
  dimensions: string[];
}

/** What a projection is derived from: a declared rollup's dimensions and the subsets it asks for. */
export interface ProjectedRollup {
  dimensions: readonly string[];
  measures: Record<string, MeasureKind>;
  projections?: ReadonlyArray<readonly string[]>;
  /** Zones whose local days it is kept at too (see `zoneDayTables.ts`). */
  dayZones?: readonly string[];
}

/**
 * Separates a projection's name from its rollup's. `defineDataProduct` refuses `__` in declared rollup and
 * dimension names, so a projection name never collides with a rollup nor with another projection.
 */
export const PROJECTION_SEPARATOR = '__';

/**
 * Projections are kept at the hour and day grains only. Minute rows are most of what ingestion writes (a
 * live stream fills a new minute row per group every minute, a backfill one per fact); the minute parts a
 * query reads (a MINUTE granularity, the ragged ends of a range) are short, so the rollup answers them.
 */
export const PROJECTION_FINEST_GRAIN: 'minute' | 'hour' = 'hour';

/** The store name of a rollup's projection over `dimensions`. */
export function projectionName(rollup: string, dimensions: readonly string[]): string {
  return [rollup, 'by', ...dimensions].join(PROJECTION_SEPARATOR);
}

/**
 * The projections the kit keeps for a rollup: the ungrouped one always, then the declared subsets, each
 * once, in the rollup's dimension order. A subset covering every dimension is the rollup itself and is
 * skipped (so a rollup without dimensions has none). Unknown dimensions throw: `defineDataProduct` reports
 * them first.
 */
export function rollupProjections(name: string, rollup: ProjectedRollup): RollupProjection[] {
  const subsets: string[][] = [[]];
  for (const declared of rollup.projections ?? []) {
    const unknown = declared.filter((d) => !rollup.dimensions.includes(d));
    if (unknown.length) throw new Error(`rollup ${name}: projection names unknown dimension(s) ${unknown.join(', ')}`);
    subsets.push(rollup.dimensions.filter((d) => declared.includes(d)));
  }
  const seen = new Set<string>();
  const projections: RollupProjection[] = [];
  for (const dimensions of subsets) {
    const projection = projectionName(name, dimensions);
    if (dimensions.length === rollup.dimensions.length || seen.has(projection)) continue;
    seen.add(projection);
    projections.push({ name: projection, of: name, dimensions });
  }
  return projections;
}
