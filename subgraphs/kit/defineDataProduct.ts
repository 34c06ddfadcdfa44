import type { DocumentNode } from 'graphql';
import type { GraphQLResolverMap } from '../../core/apollo/index.js';
import type { z } from 'zod';
import type { DataProductDescriptor } from './descriptor.js';
import type { DataProductRuntime } from './DataProductRuntime.js';

/** How a measure aggregates fact samples. `avg` is stored as a sum and a count and divided when read. */
export type MeasureKind = 'sum' | 'count' | 'min' | 'max' | 'avg';

/** What one fact adds to a rollup: its dimension values and one sample per measure it touches. */
export interface Contribution {
  dims: Record<string, string>;
  /** Samples by measure name; for `count` measures the increment (usually 1, -1 to take back). */
  values: Record<string, number>;
}

/** Facts' validated payloads, keyed by fact type. */
export type FactPayloads<F extends FactSchemas> = { [K in keyof F]: z.infer<F[K]> };

/** The fact types of a product and the zod schema each `data` payload must satisfy. */
export type FactSchemas = Record<string, z.ZodType>;

/** A rollup: facts aggregated into minute and hour buckets by dimensions. */
export interface RollupDefinition<F extends FactSchemas> {
  /** Dimension names (lowercase identifiers), e.g. `['product_id', 'region']`. */
  dimensions: readonly string[];
  /** Measures and their kind. Names are lowercase identifiers. */
  measures: Record<string, MeasureKind>;
  /** For each contributing fact type: what one fact adds, or null for nothing. */
  contributions: { [K in keyof F]?: (data: z.infer<F[K]>, time: Date) => Contribution | Contribution[] | null };
  /**
   * Dimensions whose values become subject tokens of this rollup's change events, so brokers can filter:
   * `mesh.<domain>.v1.<rollup>.bucket-updated.<value>...`.
   * @default []
   */
  subjectDimensions?: readonly string[];
}

/** A keyed state: the latest value per key (current stock per product, status per shipment...). */
export interface StateDefinition<F extends FactSchemas> {
  /** For each fact type that changes this state: which key, and the new value given the previous one. */
  reducers: {
    [K in keyof F]?: {
      key: (data: z.infer<F[K]>) => string;
      reduce: (previous: Record<string, unknown> | undefined, data: z.infer<F[K]>, time: Date) => Record<string, unknown>;
    };
  };
}

/** Everything a domain team declares to publish its data product. */
export interface DataProductDefinition<F extends FactSchemas = FactSchemas> {
  descriptor: DataProductDescriptor;
  /** The subgraph SDL (Federation v2), usually parsed from `schema/<domain>.graphql`. */
  typeDefs: DocumentNode;
  /** Accepted fact types and their payload schemas. */
  facts: F;
  /** Rollups by name (lowercase identifiers). */
  rollups?: Record<string, RollupDefinition<F>>;
  /** Keyed states by name (lowercase identifiers). */
  states?: Record<string, StateDefinition<F>>;
  /** The domain's resolvers, given the runtime (history queries, states, change events, loaders). */
  resolvers: (product: DataProductRuntime) => GraphQLResolverMap<ProductContext>;
}

/** Per-request context the kit gives every resolver. */
export interface ProductContext {
  /**
   * Per-request loaders: fresh for each HTTP operation, and for each EVENT of a subscription (shared by the
   * subscriptions of the same caller kind delivering that event), so no event is answered from an earlier one.
   */
  loaders: Map<string, unknown>;
  /** The caller identity forwarded by the gateway, when present. */
  identity?: { sub?: string; scopes: string[]; claims: Record<string, unknown> } | null;
}

/** Identity function that checks the shape at compile time and fails fast on bad names at start. */
export function defineDataProduct<F extends FactSchemas>(definition: DataProductDefinition<F>): DataProductDefinition<F> {
  const identifier = /^[a-z][a-z0-9_]*$/;
  const bad: string[] = [];
  if (!identifier.test(definition.descriptor.domain)) bad.push(`domain "${definition.descriptor.domain}"`);
  for (const [name, rollup] of Object.entries(definition.rollups ?? {})) {
    if (!identifier.test(name)) bad.push(`rollup "${name}"`);
    for (const d of rollup.dimensions) if (!identifier.test(d)) bad.push(`dimension "${name}.${d}"`);
    for (const m of Object.keys(rollup.measures)) if (!identifier.test(m)) bad.push(`measure "${name}.${m}"`);
    for (const t of Object.keys(rollup.contributions)) if (!(t in definition.facts)) bad.push(`rollup "${name}" uses unknown fact type "${t}"`);
  }
  for (const [name, state] of Object.entries(definition.states ?? {})) {
    if (!identifier.test(name)) bad.push(`state "${name}"`);
    for (const t of Object.keys(state.reducers)) if (!(t in definition.facts)) bad.push(`state "${name}" uses unknown fact type "${t}"`);
  }
  if (bad.length) throw new Error(`data product ${definition.descriptor.id}: invalid ${bad.join(', ')} (names must match ${identifier})`);
  return definition;
}
