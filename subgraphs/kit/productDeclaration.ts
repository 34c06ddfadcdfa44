import type { DocumentNode } from 'graphql';
import type { z } from 'zod';
import type { DataProductDescriptor } from './descriptor.js';

/**
 * How a measure aggregates fact samples. `avg` is stored as a sum and a count and divided when read.
 * `distinct` counts distinct sample values (strings or numbers) with a HyperLogLog sketch (±1.6 % standard
 * error, see `sketches/DistinctSketch.ts`); `percentiles` answers the quantiles of numeric samples
 * (`<measure>_p50`, `_p90`, `_p95`, `_p99`) with a DDSketch (within 1 %, see `sketches/QuantileSketch.ts`).
 * Both are stored as mergeable sketches with each rollup row and merged when read, so they stay right across
 * grains, time zones and totals; a retracted fact leaves them until its hour is repaired (see README).
 */
export type MeasureKind = 'sum' | 'count' | 'min' | 'max' | 'avg' | 'distinct' | 'percentiles';

/** What one fact adds to a rollup: its dimension values and one sample per measure it touches. */
export interface Contribution {
  dims: Record<string, string>;
  /**
   * Samples by measure name; for `count` measures the increment (usually 1, -1 to take back); for
   * `distinct` measures the value counted (a string or a number, compared by its string form).
   */
  values: Record<string, number | string>;
}

/** The fact types of a product and the zod schema each `data` payload must satisfy. */
export type FactSchemas = Record<string, z.ZodType>;

/** A rollup: facts aggregated into minute, hour and day buckets by dimensions. */
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
  /**
   * Extra dimension subsets the kit keeps this rollup pre-aggregated over, at every grain, beside the full
   * rollup (grouping sets, see `rollups/rollupProjections.ts`): a history query whose group-by and filters
   * fit in one reads it instead of every product × region × channel row, so its cost follows the groups
   * asked for. The ungrouped projection (`[]`) is always kept; list here the subsets dashboards group or
   * filter by, e.g. `[['product_id']]`. Each costs a few map merges per fact at ingest and its rows in
   * storage. Projections are internal: no SDL, change events or SQL port views of their own.
   * @default [] (the ungrouped projection only)
   */
  projections?: ReadonlyArray<readonly string[]>;
  /**
   * IANA time zones whose local days the kit keeps this rollup (and each projection) pre-aggregated in,
   * beside the UTC days, e.g. `['Europe/Paris']`. A history query in a listed zone at DAY granularity (and
   * WEEK or MONTH, which start at local midnights too) reads one row per group and local day, 23 or 25
   * hours long across DST, instead of that day's hour rows: its cost then follows the days asked for,
   * not the facts behind them. Without it such a query is still right, only it reads hours. Each zone
   * costs a day row per group and local day in storage and a map merge per fact at ingest. Only zones
   * whose days start on whole UTC hours from 1970 to 2100 can be listed (not Asia/Kolkata, +05:30): a
   * zone day is kept as the merge of hour rows (see `rollups/zoneDayTables.ts`).
   * @default [] (UTC days only)
   */
  dayZones?: readonly string[];
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
  /**
   * How facts reaching a key out of order resolve. `event-time`: as if they had arrived in event-time
   * order (a late fact replays the key from its stored facts, see `rollups/createProjector.ts`), right for
   * values a fact sets. `arrival`: folded on top as they arrive, right and cheaper for reducers whose order
   * does not matter (counters, sums), whose hot keys would otherwise replay on every slightly late fact.
   * @default 'event-time'
   */
  resolve?: 'event-time' | 'arrival';
}

/**
 * What the kit's runtime needs of a data product: everything a domain team declares except the
 * resolvers (see `DataProductDefinition`). Kept apart so the runtime does not depend on the type that
 * names the runtime.
 */
export interface DataProductDeclaration<F extends FactSchemas = FactSchemas> {
  descriptor: DataProductDescriptor;
  /** The subgraph SDL (Federation v2), usually parsed from `schema/<domain>.graphql`. */
  typeDefs: DocumentNode;
  /** Accepted fact types and their payload schemas. */
  facts: F;
  /** Rollups by name (lowercase identifiers). */
  rollups?: Record<string, RollupDefinition<F>>;
  /** Keyed states by name (lowercase identifiers). */
  states?: Record<string, StateDefinition<F>>;
}

/** Per-request context the kit gives every resolver. */
export interface ProductContext {
  /** Per-request loaders; created fresh for each operation so batching never crosses callers. */
  loaders: Map<string, unknown>;
  /** The caller identity forwarded by the gateway, when present. */
  identity?: { sub?: string; scopes: string[]; claims: Record<string, unknown> } | null;
}

/** Who is calling, as established by the subgraph's `authenticateRequest`. */
export type CallerIdentity = NonNullable<ProductContext['identity']>;
