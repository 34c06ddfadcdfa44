/**
 * Everything the subscription path derives from one supergraph SDL, built once per SDL. A running
 * subscription keeps the `LoadedSupergraph` it was planned with, so a reload never changes it mid-flight.
 */
import { Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';
import { resumableSubscriptionFields, type ResumableSubscriptionFields } from './resumableSubscriptionFields.js';

export interface LoadedSupergraph {
  /** The supergraph as graphql-js sees it (join directives included); `executeQueryPlan` wants it. */
  readonly supergraphSchema: GraphQLSchema;
  /** The client-facing schema, as the federation internals model it (planning, result shaping). */
  readonly apiSchema: Schema;
  /** The client-facing schema for graphql-js validation and operation contexts. */
  readonly apiGraphQLSchema: GraphQLSchema;
  readonly planner: QueryPlanner;
  /** Subgraph name (as in `@join__graph(name:)`) → HTTP URL declared in the supergraph. */
  readonly subgraphUrls: ReadonlyMap<string, string>;
  /** Subgraph name → subscription root fields that can resume from a cursor (`from` + `cursor`). */
  readonly resumableFields: ResumableSubscriptionFields;
}

/** Throws when the SDL is not a valid supergraph. */
export function loadSupergraph(supergraphSdl: string): LoadedSupergraph {
  // `supportedFeatures: null` accepts `for: SECURITY` links (@authenticated, @requiresScopes, @policy):
  // this path only plans; enforcing those directives is the auth layer's job, before planning.
  const supergraph = Supergraph.build(supergraphSdl, { supportedFeatures: null });
  const apiSchema = supergraph.apiSchema();
  const planner = new QueryPlanner(supergraph);
  return {
    supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
    apiSchema,
    apiGraphQLSchema: apiSchema.toGraphQLJSSchema(),
    planner,
    subgraphUrls: new Map(supergraph.subgraphsMetadata().map(({ name, url }) => [name, url])),
    // After the planner: it has already extracted the subgraphs, which the supergraph caches.
    resumableFields: resumableSubscriptionFields(supergraph),
  };
}
