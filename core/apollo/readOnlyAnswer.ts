/**
 * A mark on a data source's `process` options: the caller only reads the answer, never writes into it
 * (the mesh query engine, gateway/engine/executePlan.ts, copies what it changes). A data source may then
 * hand the same parsed answer to every such caller of a shared in-flight request instead of parsing a
 * copy per caller (gateway/upstream/SubgraphDataSource.ts). Callers without the mark (@apollo/gateway's
 * executor merges into the answers it gets) keep getting their own copy. A symbol: the option survives
 * the wrappers' `{ ...options }` copies and never reaches the subgraph.
 */
export const READ_ONLY_ANSWER: unique symbol = Symbol('mesh.readOnlyAnswer');

/** Whether `options` carry the mark. */
export function readsAnswerOnly(options: object): boolean {
  return (options as { [READ_ONLY_ANSWER]?: unknown })[READ_ONLY_ANSWER] === true;
}
