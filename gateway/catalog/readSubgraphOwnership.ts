import { Kind, type ConstDirectiveNode, type DocumentNode, type FieldDefinitionNode } from 'graphql';

/** Which subgraph resolves which fields, as the supergraph's join directives say. */
export interface SubgraphOwnership {
  /** Subgraph name → object type → the fields that subgraph resolves (external fields excluded). */
  readonly fields: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /**
   * Entities (types with a `@key` in some subgraph) → subgraph → the fields it contributes: the
   * lineage of an entity across domains (e.g. `Product`: catalog adds `name`, orders adds `sales`).
   */
  readonly entities: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
}

const argument = (directive: ConstDirectiveNode, name: string) => directive.arguments?.find((a) => a.name.value === name)?.value;
const enumArgument = (directive: ConstDirectiveNode, name: string) => {
  const value = argument(directive, name);
  return value?.kind === Kind.ENUM ? value.value : undefined;
};
const directives = (node: { directives?: readonly ConstDirectiveNode[] }, name: string) => (node.directives ?? []).filter((d) => d.name.value === name);

/**
 * Reads `@join__graph`, `@join__type` and `@join__field` (the join spec every Federation v2 supergraph
 * carries) from the supergraph's syntax tree. A field without `@join__field` is resolved by every
 * subgraph that declares its type; one with `@join__field(graph:)` by those graphs, unless `external`.
 */
export function readSubgraphOwnership(document: DocumentNode): SubgraphOwnership {
  const graphNames = new Map<string, string>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const name = directives(value, 'join__graph').map((d) => argument(d, 'name'))[0];
      graphNames.set(value.name.value, name?.kind === Kind.STRING ? name.value : value.name.value.toLowerCase());
    }
  }
  const fields = new Map<string, Map<string, string[]>>();
  const entities = new Map<string, Map<string, string[]>>();
  const add = (into: Map<string, Map<string, string[]>>, outer: string, inner: string, field: string) => {
    const byInner = into.get(outer) ?? into.set(outer, new Map()).get(outer)!;
    (byInner.get(inner) ?? byInner.set(inner, []).get(inner)!).push(field);
  };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    const type = definition;
    const joins = directives(type, 'join__type');
    const typeGraphs = joins.map((d) => enumArgument(d, 'graph')).filter((g): g is string => !!g);
    const isEntity = joins.some((d) => argument(d, 'key') !== undefined);
    for (const field of type.fields ?? []) {
      for (const graph of fieldGraphs(field, typeGraphs)) {
        const subgraph = graphNames.get(graph) ?? graph.toLowerCase();
        add(fields, subgraph, type.name.value, field.name.value);
        if (isEntity) add(entities, type.name.value, subgraph, field.name.value);
      }
    }
  }
  return { fields, entities };
}

function fieldGraphs(field: FieldDefinitionNode, typeGraphs: readonly string[]): string[] {
  const joins = directives(field, 'join__field');
  if (joins.length === 0) return [...typeGraphs];
  return joins.flatMap((d) => {
    const graph = enumArgument(d, 'graph');
    const external = argument(d, 'external');
    return graph && !(external?.kind === Kind.BOOLEAN && external.value) ? [graph] : [];
  });
}
