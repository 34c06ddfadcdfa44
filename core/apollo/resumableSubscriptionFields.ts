/**
 * Which subscription root fields follow the mesh's resume convention (docs/architecture.md "Event flow"): the
 * field takes `from: String` (a cursor to resume after) and its payload type has `cursor: String`
 * (nullable or not). Read from each subgraph's own schema as the supergraph records it, because the
 * rewritten operation goes to that subgraph: a `cursor` field resolved elsewhere would not do.
 */
import { baseType, isInterfaceType, isObjectType, type Supergraph } from '@apollo/federation-internals';

/** Subgraph name → names of its resumable subscription root fields (subgraphs without any are absent). */
export type ResumableSubscriptionFields = ReadonlyMap<string, ReadonlySet<string>>;

/** The argument a resumable field takes, and the payload field that feeds it. */
export const RESUME_ARGUMENT = 'from';
export const CURSOR_FIELD = 'cursor';

export function resumableSubscriptionFields(supergraph: Supergraph): ResumableSubscriptionFields {
  const resumable = new Map<string, Set<string>>();
  for (const subgraph of supergraph.subgraphs()) {
    const root = subgraph.schema.schemaDefinition.rootType('subscription');
    if (!root) continue;
    const names = new Set<string>();
    for (const field of root.fields()) {
      const from = field.argument(RESUME_ARGUMENT);
      if (!from?.type || String(from.type) !== 'String' || !field.type) continue;
      const payload = baseType(field.type);
      if (!isObjectType(payload) && !isInterfaceType(payload)) continue;
      const cursor = payload.field(CURSOR_FIELD);
      if (cursor?.type && ['String', 'String!'].includes(String(cursor.type))) names.add(field.name);
    }
    if (names.size > 0) resumable.set(subgraph.name, names);
  }
  return resumable;
}
