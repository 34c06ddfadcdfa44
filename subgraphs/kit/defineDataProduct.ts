import type { GraphQLResolverMap } from '../../core/apollo/index.js';
import type { DataProductRuntime } from './DataProductRuntime.js';
import type { DataProductDeclaration, FactSchemas, ProductContext } from './productDeclaration.js';
import { fieldGovernance } from './auth/fieldGovernance.js';
import { PROJECTION_SEPARATOR } from './rollups/rollupProjections.js';
import { dayZoneProblem } from './store/zoneDays.js';

/** Everything a domain team declares to publish its data product. */
export interface DataProductDefinition<F extends FactSchemas = FactSchemas> extends DataProductDeclaration<F> {
  /** The domain's resolvers, given the runtime (history queries, states, change events, loaders). */
  resolvers: (product: DataProductRuntime) => GraphQLResolverMap<ProductContext>;
}

/**
 * Identity function that checks the shape at compile time and fails fast at start on bad names, on a
 * descriptor that still types classification by hand, and on classified fields no auth directive guards.
 */
export function defineDataProduct<F extends FactSchemas>(definition: DataProductDefinition<F>): DataProductDefinition<F> {
  const identifier = /^[a-z][a-z0-9_]*$/;
  const bad: string[] = [];
  const zones: string[] = [];
  if (!identifier.test(definition.descriptor.domain)) bad.push(`domain "${definition.descriptor.domain}"`);
  for (const [name, rollup] of Object.entries(definition.rollups ?? {})) {
    if (!identifier.test(name)) bad.push(`rollup "${name}"`);
    for (const d of rollup.dimensions) if (!identifier.test(d)) bad.push(`dimension "${name}.${d}"`);
    for (const m of Object.keys(rollup.measures)) if (!identifier.test(m)) bad.push(`measure "${name}.${m}"`);
    for (const t of Object.keys(rollup.contributions)) if (!(t in definition.facts)) bad.push(`rollup "${name}" uses unknown fact type "${t}"`);
    // `__` separates a projection's name from its rollup's (`sales__by__product_id`): reserved.
    for (const n of [name, ...rollup.dimensions])
      if (n.includes(PROJECTION_SEPARATOR)) bad.push(`name "${n}" in rollup "${name}" (${PROJECTION_SEPARATOR} is reserved)`);
    for (const p of rollup.projections ?? []) for (const d of p) if (!rollup.dimensions.includes(d)) bad.push(`projection dimension "${name}.${d}"`);
    for (const zone of rollup.dayZones ?? []) {
      const problem = dayZoneProblem(zone);
      if (problem !== null) zones.push(`rollup "${name}": time zone ${problem}`);
    }
  }
  for (const [name, state] of Object.entries(definition.states ?? {})) {
    if (!identifier.test(name)) bad.push(`state "${name}"`);
    for (const t of Object.keys(state.reducers)) if (!(t in definition.facts)) bad.push(`state "${name}" uses unknown fact type "${t}"`);
  }
  if (bad.length) throw new Error(`data product ${definition.descriptor.id}: invalid ${bad.join(', ')} (names must match ${identifier})`);
  if (zones.length) throw new Error(`data product ${definition.descriptor.id}: dayZones cannot be kept: ${zones.join('; ')}`);
  // Classification lives in the SDL only: a hand-typed copy beside it could disagree with what is enforced.
  if ('classification' in definition.descriptor)
    throw new Error(
      `data product ${definition.descriptor.id}: descriptor.classification is not declared by hand any more; classify fields in the SDL with @classification(level: ...) (README "Adding a domain")`,
    );
  const { unguarded } = fieldGovernance(definition.typeDefs);
  if (unguarded.length)
    throw new Error(
      `data product ${definition.descriptor.id}: classified fields without @authenticated, @requiresScopes or @policy: ${unguarded.join(', ')} (a confidential, pii or restricted field must be guarded)`,
    );
  return definition;
}
