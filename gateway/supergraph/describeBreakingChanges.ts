import { findBreakingChanges, type GraphQLSchema } from 'graphql';
import { Supergraph } from '@apollo/federation-internals';

/** The client-facing API schema of a supergraph. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl, { supportedFeatures: null }).apiSchema().toGraphQLJSSchema();
}

/**
 * Breaking changes of the API schema from one supergraph to the next (graphql-js `findBreakingChanges`),
 * one per line, or '' when there are none.
 */
export function describeBreakingChanges(previousSdl: string, nextSdl: string): string {
  const changes = findBreakingChanges(apiSchemaOf(previousSdl), apiSchemaOf(nextSdl));
  return changes.map((c) => `- ${c.type}: ${c.description}`).join('\n');
}
