/**
 * The query plan form the gateway's own executor (gateway/engine/) runs: plain JSON data (no graphql-js
 * nodes), so a plan can be serialised, compared and cached as it is. @apollo/query-planner's `QueryPlan`
 * converts to it node for node (core/apollo/toEnginePlan.ts). Hive Router's planner
 * (`@graphql-hive/router-query-planner`) emits the same node kinds as JSON with three differences an
 * adapter maps: Flatten path steps as `{ Field }`/`{ TypeCondition }` objects, rewrites wrapped as
 * `{ ValueSetter }`/`{ KeyRenamer }`, and its `BatchFetch` node (several `_entities` aliases in one
 * request), `BatchFetchStep` here (gateway/engine/fromHivePlan.ts).
 */

/** A selection of a `requires` (the fields an entity representation is built from). */
export type PlanSelection =
  | { readonly kind: 'Field'; readonly name: string; readonly alias?: string; readonly selections?: readonly PlanSelection[] }
  | { readonly kind: 'InlineFragment'; readonly typeCondition?: string; readonly selections: readonly PlanSelection[] };

/**
 * A rewrite of fetched or sent data: at `path` (field names and `... on Type` steps), set the last
 * field to a value, or rename it. Used for `@interfaceObject` (`__typename` set to the interface on
 * the way in, to the implementation on the way out) and for fields fetched under another key.
 */
export type DataRewrite =
  | { readonly kind: 'ValueSetter'; readonly path: readonly string[]; readonly setValueTo: unknown }
  | { readonly kind: 'KeyRenamer'; readonly path: readonly string[]; readonly renameKeyTo: string };

/** One request to one subgraph: a root operation, or an `_entities` fetch when `requires` is set. */
export interface FetchStep {
  readonly kind: 'Fetch';
  readonly serviceName: string;
  /** The subgraph operation's text. */
  readonly operation: string;
  readonly operationName?: string;
  readonly operationKind: 'query' | 'mutation' | 'subscription';
  /** The client's variables this operation uses (sent as given, when given). */
  readonly variableUsages: readonly string[];
  /** Entity fetch: the representation of each entity at the cursor is built from these fields. */
  readonly requires?: readonly PlanSelection[];
  readonly inputRewrites?: readonly DataRewrite[];
  readonly outputRewrites?: readonly DataRewrite[];
}

/** One `_entities` alias of a batch fetch: the entities found at `paths`, sent as `representationsVariable`. */
export interface EntityBatch {
  readonly alias: string;
  readonly representationsVariable: string;
  /** Response paths from the root (`@` for every list item, `... on A|B` for objects of those types). */
  readonly paths: ReadonlyArray<readonly string[]>;
  readonly requires: readonly PlanSelection[];
  readonly inputRewrites?: readonly DataRewrite[];
  readonly outputRewrites?: readonly DataRewrite[];
}

/** One request to one subgraph fetching entities found at several places (Hive Router's `BatchFetch`). */
export interface BatchFetchStep {
  readonly kind: 'BatchFetch';
  readonly serviceName: string;
  readonly operation: string;
  readonly operationName?: string;
  readonly operationKind: 'query' | 'mutation' | 'subscription';
  readonly variableUsages: readonly string[];
  readonly batches: readonly EntityBatch[];
}

/** Runs `node` at every value found at `path` (`@` steps into every item of a list, `... on A|B` keeps objects of those types). */
export interface FlattenStep {
  readonly kind: 'Flatten';
  readonly path: ReadonlyArray<string>;
  readonly node: PlanStep;
}

export interface SequenceStep {
  readonly kind: 'Sequence';
  readonly nodes: readonly PlanStep[];
}

export interface ParallelStep {
  readonly kind: 'Parallel';
  readonly nodes: readonly PlanStep[];
}

/** A branch on a boolean variable (the `if` of `@skip`/`@include` on a deferred fragment). */
export interface ConditionStep {
  readonly kind: 'Condition';
  readonly condition: string;
  readonly ifClause?: PlanStep;
  readonly elseClause?: PlanStep;
}

/** Incremental delivery (`@defer`): the engine refuses it with a clear error. */
export interface DeferStep {
  readonly kind: 'Defer';
}

export type PlanStep = FetchStep | BatchFetchStep | FlattenStep | SequenceStep | ParallelStep | ConditionStep | DeferStep;

/** A whole plan; `node` is absent for operations answered by the gateway alone (`{ __typename }`, introspection). */
export interface EnginePlan {
  readonly node?: PlanStep;
  /**
   * Why this plan cannot be run by the engine (a feature it does not execute, such as `@fromContext`
   * rewrites); the engine answers with this reason instead of running a part of it.
   */
  readonly unsupported?: string;
}
