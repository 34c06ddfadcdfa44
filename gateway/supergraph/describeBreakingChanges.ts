import { findBreakingChanges, type GraphQLSchema } from 'graphql';
import { parseSupergraph } from '../../core/apollo/index.js';

/** A supergraph SDL (parsed here) or the client-facing API schema of one already parsed. */
export type ApiSchemaInput = string | GraphQLSchema;

const apiSchemaOf = (input: ApiSchemaInput) => (typeof input === 'string' ? parseSupergraph(input).apiSchema : input);

/**
 * Breaking changes of the API schema from one supergraph to the next (graphql-js `findBreakingChanges`),
 * one per line, or '' when there are none. The gateway passes its snapshots' API schemas, so a reload
 * parses nothing here.
 */
export function describeBreakingChanges(previous: ApiSchemaInput, next: ApiSchemaInput): string {
  const changes = findBreakingChanges(apiSchemaOf(previous), apiSchemaOf(next));
  return changes.map((c) => `- ${c.type}: ${c.description}`).join('\n');
}
