import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { historyBuckets, isHistoryField } from './historyBuckets.js';
import type { CostDirectives, ListSize } from './readCostDirectives.js';

/** What a document asks for, with every fragment spread expanded (the largest over its operations). */
export interface Measurement {
  depth: number;
  aliases: number;
  rootFields: number;
  /** Field selections with fragments expanded; `Infinity` for a fragment cycle. */
  selections: number;
  cost: number;
}

/** Inputs of `measureOperation`. */
export interface MeasureInput {
  document: DocumentNode;
  /** The API schema, for types and arguments; null measures shape only (every field costs 1). */
  schema: GraphQLSchema | null;
  costs: CostDirectives;
  variables?: Readonly<Record<string, unknown>>;
  defaultListSize: number;
  groupByFanout: number;
}

type Totals = { depth: number; aliases: number; fields: number; selections: number; cost: number };
/** Where a selection set sits: inside a history field lists count once (the history field multiplies). */
type Scope = { inHistory: boolean; sized?: { fields: ReadonlySet<string>; size: number } };

const ZERO: Totals = { depth: 0, aliases: 0, fields: 0, selections: 0, cost: 0 };
const CYCLE: Totals = { depth: Infinity, aliases: Infinity, fields: Infinity, selections: Infinity, cost: Infinity };

/**
 * Measures a document in time linear in its size: each fragment is measured once per scope and its
 * totals reused at every spread (a fragment spread twice per level for 30 levels is 2^30 selections,
 * counted in 30 steps). Every operation of the document is measured and the largest figures kept, so
 * the result does not depend on how the operation name is resolved.
 *
 * Cost: a field returning a composite type costs 1 and a leaf 0, unless `@cost` on the field or its
 * type says otherwise; a list multiplies its cost by its size (`@listSize` slicing argument or assumed
 * size, else `defaultListSize`); a history field (see `isHistoryField`) multiplies by its bucket count
 * times its group fan-out, and lists inside it count once.
 */
export function measureOperation(input: MeasureInput): Measurement {
  const { document, schema, costs, variables = {}, defaultListSize, groupByFanout } = input;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, Totals>();
  const inProgress = new Set<string>();

  const argumentsOf = (field: GraphQLField<unknown, unknown>, node: FieldNode): Record<string, unknown> => {
    try {
      return getArgumentValues(field, node, variables);
    } catch {
      return {}; // invalid arguments: validation refuses the operation right after
    }
  };

  const listSizeOf = (declared: ListSize | undefined, args: Record<string, unknown>): number => {
    const sliced = (declared?.slicingArguments ?? []).map((name) => args[name]).filter((v): v is number => typeof v === 'number' && v >= 0);
    if (sliced.length) return Math.max(...sliced);
    return declared?.assumedSize ?? defaultListSize;
  };

  const measureField = (node: FieldNode, parent: GraphQLCompositeType | undefined, scope: Scope): Totals => {
    const name = node.name.value;
    const definition = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
    const type = definition && getNamedType(definition.type);
    const coordinate = `${parent?.name}.${name}`;
    const args = definition ? argumentsOf(definition, node) : {};
    const history = !!definition && isHistoryField(definition);
    const declared = costs.listSizes.get(coordinate);
    const childScope: Scope = {
      inHistory: scope.inHistory || history,
      ...(declared?.sizedFields && { sized: { fields: new Set(declared.sizedFields), size: listSizeOf(declared, args) } }),
    };
    const child = node.selectionSet ? measureSet(node.selectionSet, type && isCompositeType(type) ? type : undefined, childScope) : ZERO;
    const ownWeight = costs.fieldWeights.get(coordinate) ?? (type && costs.typeWeights.get(type.name)) ?? (node.selectionSet ? 1 : 0);
    let multiplier = 1;
    if (history) multiplier = historyBuckets(args, groupByFanout);
    else if (scope.sized?.fields.has(name)) multiplier = scope.sized.size;
    else if (!scope.inHistory && definition && isListType(getNullableType(definition.type)) && !declared?.sizedFields) multiplier = listSizeOf(declared, args);
    return {
      depth: 1 + child.depth,
      aliases: (node.alias ? 1 : 0) + child.aliases,
      fields: 1,
      selections: 1 + child.selections,
      cost: multiplier * (ownWeight + child.cost),
    };
  };

  const measureFragment = (name: string, scope: Scope): Totals => {
    const fragment = fragments.get(name);
    if (!fragment) return ZERO; // unknown fragment: validation refuses it
    const key = JSON.stringify([name, scope.inHistory, scope.sized && [...scope.sized.fields], scope.sized?.size]);
    const known = memo.get(key);
    if (known) return known;
    if (inProgress.has(key)) return CYCLE;
    inProgress.add(key);
    const type = schema?.getType(fragment.typeCondition.name.value);
    const totals = measureSet(fragment.selectionSet, type && isCompositeType(type) ? type : undefined, scope);
    inProgress.delete(key);
    memo.set(key, totals);
    return totals;
  };

  const measureSet = (set: SelectionSetNode, parent: GraphQLCompositeType | undefined, scope: Scope): Totals => {
    const sum = { ...ZERO };
    for (const selection of set.selections) {
      let part: Totals;
      if (selection.kind === Kind.FIELD) part = measureField(selection, parent, scope);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) part = measureFragment(selection.name.value, scope);
      else {
        const type = selection.typeCondition ? schema?.getType(selection.typeCondition.name.value) : parent;
        part = measureSet(selection.selectionSet, type && isCompositeType(type) ? type : undefined, scope);
      }
      sum.depth = Math.max(sum.depth, part.depth);
      sum.aliases += part.aliases;
      sum.fields += part.fields;
      sum.selections += part.selections;
      sum.cost += part.cost;
    }
    return sum;
  };

  const result: Measurement = { depth: 0, aliases: 0, rootFields: 0, selections: 0, cost: 0 };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const root = schema?.getRootType(definition.operation) ?? undefined;
    const totals = measureSet(definition.selectionSet, root, { inHistory: false });
    result.depth = Math.max(result.depth, totals.depth);
    result.aliases = Math.max(result.aliases, totals.aliases);
    result.rootFields = Math.max(result.rootFields, totals.fields);
    result.selections = Math.max(result.selections, totals.selections);
    result.cost = Math.max(result.cost, totals.cost);
  }
  return result;
}
