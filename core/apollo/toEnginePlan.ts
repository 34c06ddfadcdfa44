/**
 * @apollo/query-planner's `QueryPlan` in the engine's plan form (core/queryPlan/EnginePlan.ts). The
 * node kinds and fields are the same; what differs is dropped (graphql-js documents, ids) or refused
 * (`contextRewrites` of `@fromContext`, which the engine does not run, and subscription plans, which
 * go through the subscription executor).
 */
import type { PlanNode, QueryPlan, QueryPlanSelectionNode } from '@apollo/query-planner';
import type { EnginePlan, PlanSelection, PlanStep } from '../queryPlan/EnginePlan.js';

class Unsupported extends Error {}

const selectionsOf = (selections: readonly QueryPlanSelectionNode[]): PlanSelection[] =>
  selections.map((s) =>
    s.kind === 'Field'
      ? { kind: 'Field', name: s.name, alias: s.alias || undefined, selections: s.selections ? selectionsOf(s.selections) : undefined }
      : { kind: 'InlineFragment', typeCondition: s.typeCondition || undefined, selections: selectionsOf(s.selections) },
  );

function stepOf(node: PlanNode): PlanStep {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return { kind: node.kind, nodes: node.nodes.map(stepOf) };
    case 'Flatten':
      return { kind: 'Flatten', path: node.path.map(String), node: stepOf(node.node) };
    case 'Condition':
      return {
        kind: 'Condition',
        condition: node.condition,
        ...(node.ifClause && { ifClause: stepOf(node.ifClause) }),
        ...(node.elseClause && { elseClause: stepOf(node.elseClause) }),
      };
    case 'Defer':
      return { kind: 'Defer' };
    case 'Fetch':
      if (node.contextRewrites?.length) throw new Unsupported('@fromContext (context rewrites) is not executed by the mesh query engine');
      return {
        kind: 'Fetch',
        serviceName: node.serviceName,
        operation: node.operation,
        ...(node.operationName && { operationName: node.operationName }),
        operationKind: node.operationKind,
        variableUsages: node.variableUsages ?? [],
        ...(node.requires && { requires: selectionsOf(node.requires) }),
        ...(node.inputRewrites?.length && { inputRewrites: node.inputRewrites }),
        ...(node.outputRewrites?.length && { outputRewrites: node.outputRewrites }),
      };
  }
}

/** The engine's form of an Apollo plan; a plan it cannot run comes back with `unsupported` set. */
export function toEnginePlan(plan: QueryPlan): EnginePlan {
  if (!plan.node) return {};
  if (plan.node.kind === 'Subscription') return { unsupported: 'subscriptions are executed over websockets, not by the query engine' };
  try {
    return { node: stepOf(plan.node) };
  } catch (error) {
    if (error instanceof Unsupported) return { unsupported: error.message };
    throw error;
  }
}
