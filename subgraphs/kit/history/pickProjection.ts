import type { RollupProjection } from '../rollups/rollupProjections.js';

/**
 * The smallest stored relation that answers a query grouped by and filtered on `used` dimensions: the
 * projection with the fewest dimensions that holds all of them, else the rollup itself. Every projection
 * merges the same facts, so the answer is the same whichever is read (numbers exactly; sketches merge
 * exactly, so they are identical too).
 */
export function pickProjection(rollup: string, projections: readonly RollupProjection[], used: readonly string[]): string {
  let best: RollupProjection | undefined;
  for (const projection of projections) {
    if (!used.every((d) => projection.dimensions.includes(d))) continue;
    if (!best || projection.dimensions.length < best.dimensions.length) best = projection;
  }
  return best?.name ?? rollup;
}
