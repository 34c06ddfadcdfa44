import { Kind, parse, print, stripIgnoredCharacters, type OperationDefinitionNode } from 'graphql';
import type { PlanNode, QueryPlan, RequiresSelection, FetchRewrite, FlattenNodePathSegment, FetchNodePathSegment } from '@graphql-hive/router-query-planner';
import type { DataRewrite, EnginePlan, PlanSelection, PlanStep } from '../../core/queryPlan/EnginePlan.js';

class Unsupported extends Error {}

const FRAGMENT = '... on ';

const flattenStep = (segment: FlattenNodePathSegment): string =>
  segment === '@' ? '@' : 'Field' in segment ? segment.Field : `${FRAGMENT}${segment.TypeCondition.join('|')}`;

const rewriteStep = (segment: FetchNodePathSegment): string => ('Key' in segment ? segment.Key : `${FRAGMENT}${segment.TypenameEquals.join('|')}`);

function rewriteOf(rewrite: FetchRewrite): DataRewrite {
  if ('ValueSetter' in rewrite && rewrite.ValueSetter)
    return { kind: 'ValueSetter', path: rewrite.ValueSetter.path.map(rewriteStep), setValueTo: rewrite.ValueSetter.setValueTo };
  if ('KeyRenamer' in rewrite && rewrite.KeyRenamer)
    return { kind: 'KeyRenamer', path: rewrite.KeyRenamer.path.map(rewriteStep), renameKeyTo: rewrite.KeyRenamer.renameKeyTo };
  if ('kind' in rewrite && rewrite.kind === 'ValueSetter') return { kind: 'ValueSetter', path: rewrite.path.map(rewriteStep), setValueTo: rewrite.setValueTo };
  throw new Unsupported('an unknown rewrite');
}

const rewritesOf = (rewrites: readonly FetchRewrite[] | undefined) => (rewrites?.length ? rewrites.map(rewriteOf) : undefined);

function selectionsOf(selections: readonly RequiresSelection[]): PlanSelection[] {
  return selections.map((s): PlanSelection => {
    if (s.kind === 'Field')
      return { kind: 'Field', name: s.name, alias: s.alias || undefined, selections: s.selections ? selectionsOf(s.selections) : undefined };
    if (s.kind === 'InlineFragment' && !s.skipIf && !s.includeIf)
      return { kind: 'InlineFragment', typeCondition: s.typeCondition, selections: selectionsOf(s.selections) };
    throw new Unsupported(`a ${s.kind} with conditions in requires`);
  });
}

function stepOf(node: PlanNode, name: FetchNamer): PlanStep {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return { kind: node.kind, nodes: node.nodes.map((child) => stepOf(child, name)) };
    case 'Flatten':
      return { kind: 'Flatten', path: node.path.map(flattenStep), node: stepOf(node.node, name) };
    case 'Condition':
      return {
        kind: 'Condition',
        condition: node.condition,
        ...(node.ifClause && { ifClause: stepOf(node.ifClause, name) }),
        ...(node.elseClause && { elseClause: stepOf(node.elseClause, name) }),
      };
    case 'Defer':
      return { kind: 'Defer' };
    case 'Fetch': {
      // Subscriptions run over websockets (gateway/subscriptions/), never as a fetch of a query plan.
      if (node.operationKind === 'subscription') throw new Unsupported('a subscription fetch');
      const inputRewrites = rewritesOf(node.inputRewrites);
      const outputRewrites = rewritesOf(node.outputRewrites);
      return {
        kind: 'Fetch',
        serviceName: node.serviceName,
        ...name(node),
        operationKind: node.operationKind ?? 'query',
        variableUsages: node.variableUsages ?? [],
        ...(node.requires && { requires: selectionsOf(node.requires) }),
        ...(inputRewrites && { inputRewrites }),
        ...(outputRewrites && { outputRewrites }),
      };
    }
    case 'BatchFetch':
      return {
        kind: 'BatchFetch',
        serviceName: node.serviceName,
        ...name(node),
        operationKind: node.operationKind ?? 'query',
        variableUsages: node.variableUsages ?? [],
        batches: node.entityBatch.aliases.map((alias) => {
          const inputRewrites = rewritesOf(alias.inputRewrites);
          const outputRewrites = rewritesOf(alias.outputRewrites);
          return {
            alias: alias.alias,
            representationsVariable: alias.representationsVariableName,
            paths: alias.paths.map((path) => path.map(flattenStep)),
            requires: selectionsOf(alias.requires),
            ...(inputRewrites && { inputRewrites }),
            ...(outputRewrites && { outputRewrites }),
          };
        }),
      };
    default:
      throw new Unsupported(`a ${node.kind} node`);
  }
}

/**
 * Whether the plan is one root fetch of nothing but `__typename`: Hive Router's planner sends
 * `{ __typename }` to a subgraph, @apollo/gateway answers it alone; so do we (a probe must not depend on
 * a subgraph being up).
 */
function asksOnlyTypename(node: PlanNode): boolean {
  if (node.kind !== 'Fetch' || node.requires || node.operationKind === 'subscription') return false;
  const [definition] = parse(node.operation, { noLocation: true }).definitions;
  return (
    definition?.kind === Kind.OPERATION_DEFINITION &&
    definition.selectionSet.selections.every((selection) => selection.kind === Kind.FIELD && selection.name.value === '__typename')
  );
}

/** A fetch's operation text and name, as the subgraph receives them. */
type FetchNamer = (node: { serviceName: string; operation: string; operationName?: string | null }) => { operation: string; operationName?: string };

/**
 * Names fetches as @apollo/query-planner does, `<client operation>__<subgraph>__<n>` in plan order, so a
 * subgraph's logs and metrics tell which client operation a fetch serves whichever planner made it (Hive
 * Router's fetches are anonymous). Without a client operation name, fetches keep the planner's text.
 */
function fetchNamer(clientOperationName: string | undefined): FetchNamer {
  let index = 0;
  return (node) => {
    if (!clientOperationName) return { operation: node.operation, ...(node.operationName && { operationName: node.operationName }) };
    const operationName = `${clientOperationName}__${node.serviceName}__${index++}`;
    const document = parse(node.operation, { noLocation: true });
    const definitions = document.definitions.map((definition) =>
      definition.kind === Kind.OPERATION_DEFINITION
        ? ({ ...definition, name: { kind: Kind.NAME, value: operationName } } satisfies OperationDefinitionNode)
        : definition,
    );
    return { operation: stripIgnoredCharacters(print({ ...document, definitions })), operationName };
  };
}

/**
 * Hive Router's plan (`@graphql-hive/router-query-planner`, plain JSON) in the engine's plan form
 * (core/queryPlan/EnginePlan.ts): path and rewrite segments as strings, `BatchFetch` as a batch step,
 * fetches named after the client's operation (`clientOperationName`, when it has one) as Apollo's are.
 * A plan with something the engine does not run comes back with `unsupported` set.
 */
export function fromHivePlan(plan: QueryPlan, clientOperationName?: string): EnginePlan {
  if (!plan.node || asksOnlyTypename(plan.node)) return {};
  try {
    return { node: stepOf(plan.node, fetchNamer(clientOperationName)) };
  } catch (error) {
    if (error instanceof Unsupported) return { unsupported: `Hive Router's plan has ${error.message}` };
    throw error;
  }
}
