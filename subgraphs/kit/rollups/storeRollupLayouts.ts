import type { RollupLayout } from '../store/Store.js';
import { rollupLayout } from './rollupLayout.js';
import { PROJECTION_FINEST_GRAIN, rollupProjections, type ProjectedRollup } from './rollupProjections.js';
import { zoneDayTables } from './zoneDayTables.js';

/**
 * The store layouts of a product's rollups: each declared rollup, then its projections (`projectionOf`
 * set), then its zone-day tables (`dayZone` set), each after the table whose hours it merges.
 */
export function storeRollupLayouts(rollups: Record<string, ProjectedRollup>): RollupLayout[] {
  const declared = Object.entries(rollups);
  return [
    ...declared.map(([name, r]) => rollupLayout(name, r.dimensions, r.measures)),
    ...declared.flatMap(([name, r]) =>
      rollupProjections(name, r).map((p) => ({ ...rollupLayout(p.name, p.dimensions, r.measures), projectionOf: name, finestGrain: PROJECTION_FINEST_GRAIN })),
    ),
    ...declared.flatMap(([name, r]) =>
      zoneDayTables(name, r).map((t) => ({
        ...rollupLayout(t.name, t.dimensions, r.measures),
        projectionOf: name,
        finestGrain: 'day' as const,
        dayZone: { zone: t.zone, hoursOf: t.hoursOf },
      })),
    ),
  ];
}
