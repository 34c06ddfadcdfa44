/**
 * Static limits on a GraphQL document, checked before validation and planning (no subgraph call).
 * Every limit counts with fragment spreads expanded; `Infinity` turns a limit off.
 */
export interface OperationLimits {
  /**
   * Lexical tokens the parser reads before giving up (GRAPHQL_PARSE_FAILED). Bounds the work of
   * parsing itself, so it is checked first.
   * @default 10000
   */
  maxTokens: number;
  /**
   * Deepest field nesting (`{ a { b } }` is 2). graphql-js's introspection query is 15 deep.
   * @default 20
   */
  maxDepth: number;
  /**
   * Aliased fields in the operation (MAX_ALIASES_LIMIT).
   * @default 30
   */
  maxAliases: number;
  /**
   * Fields of the root selection (MAX_ROOT_FIELDS_LIMIT): each is a separate query plan branch.
   * @default 20
   */
  maxRootFields: number;
  /**
   * Field selections once every fragment spread is expanded (MAX_RECURSIVE_SELECTIONS_EXCEEDED).
   * Counted per fragment with memoisation, so a 2^30 expansion is refused in microseconds.
   * @default 2000
   */
  maxSelections: number;
  /**
   * Estimated cost (COST_ESTIMATED_TOO_EXPENSIVE): composite fields cost 1, leaves 0 (unless
   * `@cost` says otherwise), lists multiply by their size (`@listSize`, else `defaultListSize`),
   * history fields by their bucket count. See `estimateCost`.
   * @default 50000
   */
  maxCost: number;
  /**
   * Assumed size of a list without `@listSize`.
   * @default 10
   */
  defaultListSize: number;
  /**
   * Assumed groups per `groupBy` dimension of a history field (the fan-out is this to the power of
   * the number of dimensions).
   * @default 5
   */
  groupByFanout: number;
}

/** The defaults: a normal dashboard passes, the attacks of issue #8 do not. */
export const DEFAULT_OPERATION_LIMITS: Readonly<OperationLimits> = Object.freeze({
  maxTokens: 10_000,
  maxDepth: 20,
  maxAliases: 30,
  maxRootFields: 20,
  maxSelections: 2_000,
  maxCost: 50_000,
  defaultListSize: 10,
  groupByFanout: 5,
});
