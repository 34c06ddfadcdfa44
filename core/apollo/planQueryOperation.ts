/**
 * Plans a query or mutation of an already validated document with a parsed supergraph's planner, in
 * the engine's plan form: for tools and tests that run plans without a running `ApolloGateway` (the
 * gateway itself plans through its own plan cache, gatewayPlanning.ts).
 */
import { operationFromDocument } from '@apollo/federation-internals';
import type { DocumentNode } from 'graphql';
import type { EnginePlan } from '../queryPlan/EnginePlan.js';
import type { ParsedSupergraph } from './parseSupergraph.js';
import { toEnginePlan } from './toEnginePlan.js';

/** Throws when the planner fails (an operation that does not validate against the API schema). */
export function planQueryOperation(supergraph: ParsedSupergraph, document: DocumentNode, operationName?: string): EnginePlan {
  const operation = operationFromDocument(supergraph.internals.apiSchema, document, { operationName });
  return toEnginePlan(supergraph.internals.planner.buildQueryPlan(operation));
}
