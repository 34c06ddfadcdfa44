import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { compileRoot, conditionVariables, type ShapeSelection } from './compileSelections.js';

interface Compiled {
  readonly schema: GraphQLSchema;
  readonly conditions: readonly string[];
  readonly byConditions: Map<string, ShapeSelection>;
}

/** At most this many `@skip`/`@include` combinations are kept per operation (each is one compiled shape). */
const MAX_COMBINATIONS = 16;

// Keyed by the operation node: Apollo Server hands the same parsed document to every request with the
// same text, so an operation is compiled once, not per request.
const compiled = new WeakMap<OperationDefinitionNode, Compiled>();

/**
 * The compiled root selection of an operation for these variable values (only the ones `@skip`/
 * `@include` read matter), reused across requests of the same document and schema.
 */
export function operationShape(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): ShapeSelection {
  let entry = compiled.get(operation);
  if (!entry || entry.schema !== schema) {
    entry = { schema, conditions: conditionVariables(document), byConditions: new Map() };
    compiled.set(operation, entry);
  }
  const key = entry.conditions.length ? entry.conditions.map((name) => (variables[name] === true ? '1' : '0')).join('') : '';
  let root = entry.byConditions.get(key);
  if (!root) {
    root = compileRoot(schema, document, operation, variables);
    if (entry.byConditions.size < MAX_COMBINATIONS) entry.byConditions.set(key, root);
  }
  return root;
}
