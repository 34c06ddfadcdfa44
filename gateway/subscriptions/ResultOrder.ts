/**
 * The key order of one client's results. graphql-js writes a result's keys in the order the operation
 * selects its fields, so clients of one group that spelt their selections in different orders each
 * expect their own order (docs/architecture.md "Subscription groups"): the group encodes the payload
 * once per distinct order, reordering the shared data for each (`reorder`), not once per client.
 */
import { Kind, print, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

export interface ResultOrder {
  /** Equal for operations whose results have the same key order. */
  readonly key: string;
  /** `data` with every object's keys in this order (the values shared, never copied deeper than needed). */
  reorder(data: Record<string, unknown>): Record<string, unknown>;
}

/** Response keys in selection order, each with the merged shape of its own selection (none for leaves). */
type Shape = Map<string, Shape | null>;

/**
 * The order of `operation`'s results. Every fragment it uses must apply wherever it is spread (no type
 * condition narrower than its parent type, see `normaliseSubscription`): then an object's keys are its
 * fields in first-selection order with the fragments inlined, which is how graphql-js collects them.
 */
export function resultOrder(operation: OperationDefinitionNode, fragments: readonly FragmentDefinitionNode[]): ResultOrder {
  const byName = new Map(fragments.map((fragment) => [fragment.name.value, fragment]));
  const key = [print(operation.selectionSet), ...fragments.map((fragment) => print(fragment))].join('\n');
  let shape: Shape | undefined;
  return {
    key,
    reorder(data) {
      shape ??= shapeOf([operation.selectionSet], byName);
      return reorderObject(data, shape);
    },
  };
}

function shapeOf(sets: readonly SelectionSetNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>): Shape {
  const fields = new Map<string, SelectionSetNode[]>();
  const collect = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const responseKey = selection.alias?.value ?? selection.name.value;
        let subSets = fields.get(responseKey);
        if (!subSets) fields.set(responseKey, (subSets = []));
        if (selection.selectionSet) subSets.push(selection.selectionSet);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet);
      else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) collect(set);
  const shape: Shape = new Map();
  for (const [responseKey, subSets] of fields) shape.set(responseKey, subSets.length > 0 ? shapeOf(subSets, fragments) : null);
  return shape;
}

function reorder(value: unknown, shape: Shape): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => reorder(item, shape));
  return reorderObject(value as Record<string, unknown>, shape);
}

function reorderObject(value: Record<string, unknown>, shape: Shape): Record<string, unknown> {
  // Null prototype, as graphql-js builds results: an alias such as `__proto__` stays a plain key.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [responseKey, sub] of shape) if (responseKey in value) out[responseKey] = sub ? reorder(value[responseKey], sub) : value[responseKey];
  // Nothing the group resolved is dropped, even a key this order does not know.
  for (const responseKey in value) if (!(responseKey in out)) out[responseKey] = value[responseKey];
  return out;
}
