import type { RollupLayout, StoredGrain } from './Store.js';
import type { SqlViewProfile } from './SqlViews.js';

/** One published relation and where it reads from. */
export type PublishedRelation = { name: string; kind: 'rollup'; rollup: RollupLayout; grain: StoredGrain } | { name: string; kind: 'state'; state: string };

/**
 * The relations a layout publishes: each rollup at each grain (`sales_day`), each keyed state by its name.
 * Projections are not published: SQL callers `GROUP BY` the rollup's view, which holds the same figures.
 */
export function publishedRelations(rollups: readonly RollupLayout[], states: readonly string[], grains: readonly StoredGrain[]): PublishedRelation[] {
  const relations: PublishedRelation[] = rollups
    .filter((rollup) => rollup.projectionOf === undefined)
    .flatMap((rollup) => grains.map((grain) => ({ name: `${rollup.name}_${grain}`, kind: 'rollup' as const, rollup, grain })));
  const taken = new Set(relations.map((r) => r.name));
  // A state named like a rollup grain (`sales_day`) would shadow it: it is published as `state_<name>` instead.
  for (const state of states) relations.push({ name: taken.has(state) ? `state_${state}` : state, kind: 'state', state });
  return relations;
}

/** Merge kinds whose columns are plain numbers a SQL caller can add up; any other kind stays unpublished until named here. */
const PUBLISHED_KINDS = new Set(['sum', 'min', 'max']);

/**
 * The view columns of a rollup for a profile, in table order: bucket, dimensions, measure columns. Listed
 * from the declared layout, never `SELECT *`: a column a table gains later is not published by accident.
 */
export function rollupViewColumns(rollup: RollupLayout, profile: SqlViewProfile): string[] {
  const withheld = new Set(profile.withheld);
  const measures = Object.entries(rollup.columns).flatMap(([column, kind]) => (PUBLISHED_KINDS.has(kind) ? [column] : []));
  return ['bucket', ...rollup.dimensions, ...measures].filter((column) => !withheld.has(column));
}
