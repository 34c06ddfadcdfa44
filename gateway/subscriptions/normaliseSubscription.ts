/**
 * One subscription however the client spelt it. Clients that differ only in operation name, whitespace,
 * the order of fields (and arguments) in a selection, or the order of variable definitions ask for the
 * same events, so they form one group and share one upstream subscription (docs/architecture.md
 * "Subscription groups"). The operation name must go before planning: the query planner writes it into
 * every fetch's operation name, so two names would give two different upstream documents.
 */
import {
  Kind,
  print,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ArgumentNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';
import { resultOrder, type ResultOrder } from './ResultOrder.js';

export interface NormalisedSubscription {
  /**
   * What is planned and executed: the operation alone, anonymous, with the fragments it uses, fields in
   * the order the (first) client wrote them, so a client alone gets exactly the order it asked for.
   */
  readonly document: DocumentNode;
  /** Equal for operations that ask for the same thing, whatever their name, spacing and field order. */
  readonly key: string;
  /**
   * The key order this client's results must have. Clients of one group may differ in it (the group
   * reorders its payload once per distinct order), except when a fragment applies only to some types
   * (a type condition narrower than where it is spread): then the key includes the order, since where a
   * field lands depends on the runtime type.
   */
  readonly order: ResultOrder;
}

/** `operation` must be one of `document`'s operations (already resolved and validated against `schema`). */
export function normaliseSubscription(document: DocumentNode, operation: OperationDefinitionNode, schema: GraphQLSchema): NormalisedSubscription {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const used = usedFragments(operation, fragments);
  const anonymous: OperationDefinitionNode = { ...operation, name: undefined };
  const executed: DocumentNode = { kind: Kind.DOCUMENT, definitions: [anonymous, ...used] };

  const canonicalOperation: OperationDefinitionNode = {
    ...anonymous,
    variableDefinitions: [...(anonymous.variableDefinitions ?? [])].sort((a, b) => compare(a.variable.name.value, b.variable.name.value)),
  };
  const canonicalFragments = [...used].sort((a, b) => compare(a.name.value, b.name.value));
  const canonical = visit({ kind: Kind.DOCUMENT, definitions: [canonicalOperation, ...canonicalFragments] } as DocumentNode, {
    // `leave` runs bottom-up, so nested selections are already in order when their parent is sorted.
    SelectionSet: { leave: (node) => ({ ...node, selections: sortedByText<SelectionNode>(node.selections) }) },
    Field: { leave: (node) => (node.arguments && node.arguments.length > 1 ? { ...node, arguments: sortedByName(node.arguments) } : undefined) },
  });
  const order = resultOrder(anonymous, used);
  const key = print(canonical);
  return { document: executed, key: narrowsType(schema, executed, fragments) ? `${key}\n# order\n${order.key}` : key, order };
}

/** Whether a fragment in `document` applies only to some of the types it is spread on. */
function narrowsType(schema: GraphQLSchema, document: DocumentNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): boolean {
  const typeInfo = new TypeInfo(schema);
  let narrows = false;
  const narrower = (condition: string | undefined) => {
    const parent = typeInfo.getParentType();
    if (condition !== undefined && parent?.name !== condition) narrows = true;
  };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      InlineFragment: (node) => narrower(node.typeCondition?.name.value),
      FragmentSpread: (node) => narrower(fragments.get(node.name.value)?.typeCondition.name.value ?? ''),
    }),
  );
  return narrows;
}

function usedFragments(operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const pending: Array<OperationDefinitionNode | FragmentDefinitionNode> = [operation];
  while (pending.length > 0) {
    visit(pending.pop()!, {
      FragmentSpread(node) {
        const fragment = fragments.get(node.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return [...used.values()];
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortedByText<T extends SelectionNode>(nodes: readonly T[]): T[] {
  if (nodes.length < 2) return [...nodes];
  return nodes
    .map((node) => ({ node, text: print(node) }))
    .sort((a, b) => compare(a.text, b.text))
    .map(({ node }) => node);
}

function sortedByName(nodes: readonly ArgumentNode[]): ArgumentNode[] {
  return [...nodes].sort((a, b) => compare(a.name.value, b.name.value));
}
