import { createHash } from 'node:crypto';
import type { SubgraphPolicies } from '../auth/decideFieldAccess.js';
import { deniedValueFields, normaliseFieldName } from '../auth/deniedValueFields.js';
import type { DataProductDeclaration, CallerIdentity } from '../productDeclaration.js';
import { measureColumns } from '../rollups/rollupLayout.js';
import type { SqlViewProfile } from '../store/SqlViews.js';
import type { ForbiddenColumn } from './checkSelect.js';

/** What one caller may read through the SQL port. */
export interface SqlAccess {
  /** The views to read (`withheld` columns absent, `maskedKeys` removed from state values). */
  profile: SqlViewProfile;
  /** Names a statement may not mention, by `normaliseFieldName`, and why. */
  forbidden: ReadonlyMap<string, ForbiddenColumn>;
  /** The top-level keys state values lose, as the SDL spells the fields (none when the product has no state). */
  maskedValueKeys: readonly string[];
}

/**
 * The caller's SQL access, from the same rules as its GraphQL fields: every field of the product's SDL
 * the caller may not read (`deniedValueFields`: `@authenticated`, `@requiresScopes`, `@policy`) withholds
 * the published columns of the same name, as export files do. A rollup measure's stored columns
 * (`lead_time_hours_sum` and `_count` of an average) are governed by the measure's name too. State values
 * lose the top-level keys of those names. Callers denied the same columns share one profile (its id is a
 * hash of what it withholds), so views exist per distinct permission set, not per caller.
 */
export function sqlAccess(declaration: DataProductDeclaration, identity: CallerIdentity | null | undefined, policies: SubgraphPolicies = {}): SqlAccess {
  const denied = new Map<string, string>();
  const fieldNames = new Map<string, string>();
  for (const { coordinate, reason } of deniedValueFields(declaration.typeDefs, identity, policies)) {
    const field = coordinate.split('.')[1];
    const key = normaliseFieldName(field);
    if (!denied.has(key)) denied.set(key, `${coordinate}: ${reason}`);
    if (!fieldNames.has(key)) fieldNames.set(key, field);
  }
  const forbidden = new Map<string, ForbiddenColumn>();
  const withheld = new Set<string>();
  const withhold = (column: string, governedBy: string) => {
    const requires = denied.get(normaliseFieldName(governedBy));
    if (!requires) return false;
    withheld.add(column);
    forbidden.set(normaliseFieldName(column), { column, requires });
    return true;
  };
  for (const rollup of Object.values(declaration.rollups ?? {})) {
    for (const dimension of rollup.dimensions) withhold(dimension, dimension);
    for (const [measure, kind] of Object.entries(rollup.measures)) {
      for (const column of Object.keys(measureColumns(measure, kind))) if (!withhold(column, column)) withhold(column, measure);
    }
  }
  for (const column of ['bucket', 'key', 'updated_at', 'value']) withhold(column, column);
  // Anything else named like a denied field (a CTE column, an alias) is refused too: never too little.
  for (const [key, requires] of denied) if (!forbidden.has(key)) forbidden.set(key, { column: fieldNames.get(key) ?? key, requires });
  const maskedKeys = [...denied.keys()].sort();
  const sortedWithheld = [...withheld].sort();
  const id = createHash('sha256')
    .update(JSON.stringify([sortedWithheld, maskedKeys]))
    .digest('hex')
    .slice(0, 12);
  const hasStates = Object.keys(declaration.states ?? {}).length > 0;
  const maskedValueKeys = hasStates ? maskedKeys.map((key) => fieldNames.get(key) ?? key) : [];
  return { profile: { id, withheld: sortedWithheld, maskedKeys }, forbidden, maskedValueKeys };
}
