/**
 * The query planner's view of a subscription: a `SubscriptionNode` whose `primary` fetch goes to the
 * subgraph owning the root field and whose `rest` (if any) fetches other subgraphs' fields per event.
 */
import { buildOperationContext } from '@apollo/gateway';
import { operationFromDocument } from '@apollo/federation-internals';
import type { FetchNode, SubscriptionNode } from '@apollo/query-planner';
import type { DocumentNode } from 'graphql';
import type { ParsedSupergraph } from './parseSupergraph.js';

export type { FetchNode, SubscriptionNode };

/** What @apollo/gateway's execution needs about the operation (fragments, the operation definition). */
export type OperationContext = ReturnType<typeof buildOperationContext>;

/** A planned subscription operation. */
export interface PlannedSubscription {
  readonly node: SubscriptionNode;
  readonly operationContext: OperationContext;
}

/**
 * Plans a subscription of an already validated document. Throws when the planner fails; returns null
 * when the plan is not a subscription plan (the operation is not a subscription).
 */
export function planSubscriptionOperation(supergraph: ParsedSupergraph, document: DocumentNode, operationName: string | undefined): PlannedSubscription | null {
  const operation = operationFromDocument(supergraph.internals.apiSchema, document, { operationName });
  const node = supergraph.internals.planner.buildQueryPlan(operation).node;
  if (node?.kind !== 'Subscription') return null;
  return { node, operationContext: buildOperationContext({ schema: supergraph.apiSchema, operationDocument: document, operationName }) };
}
