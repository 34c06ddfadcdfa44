/**
 * Everything the gateway derives from a supergraph through @apollo/federation-internals, from one
 * parse: the graphql-js schemas, the subgraphs it declares, the query planner, the auth directives and
 * the resumable subscription fields. A running subscription keeps the `ParsedSupergraph` it was planned
 * with, so a reload never changes it mid-flight.
 */
import { Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { readAuthRequirements, type AuthRequirements } from './readAuthRequirements.js';
import { resumableSubscriptionFields, type ResumableSubscriptionFields } from './resumableSubscriptionFields.js';

/** A subgraph as the supergraph declares it (`@join__graph(name:, url:)`). */
export interface DeclaredSubgraph {
  readonly name: string;
  readonly url: string;
}

export interface ParsedSupergraph {
  /** The SDL this was parsed from (auth directives and `for: SECURITY` links included). */
  readonly sdl: string;
  /** The SDL's syntax tree, for readers of directives the federation model does not keep (`@cost`). */
  readonly document: DocumentNode;
  /** The supergraph as graphql-js sees it (join directives included); `executeQueryPlan` wants it. */
  readonly supergraphSchema: GraphQLSchema;
  /**
   * The client-facing schema for graphql-js (validation, operation contexts, breaking-change diffs,
   * the auth replay). Never handed to Apollo Server, which writes resolvers into its own schema.
   */
  readonly apiSchema: GraphQLSchema;
  /** The subgraphs, in declaration order. */
  readonly subgraphs: readonly DeclaredSubgraph[];
  /** `@authenticated`, `@requiresScopes`, `@policy` as declared. */
  readonly authRequirements: AuthRequirements;
  /** Subgraph name → subscription root fields that can resume from a cursor (`from` + `cursor`). */
  readonly resumableFields: ResumableSubscriptionFields;
  /** @internal The federation model of the API schema and the planner: only core/apollo/ reads them. */
  readonly internals: { readonly apiSchema: Schema; readonly planner: QueryPlanner };
}

let parses = 0;

/** How many supergraphs have been parsed in this process (tests prove a reload parses once). */
export function supergraphParseCount(): number {
  return parses;
}

/** Throws when the SDL is not a valid supergraph. */
export function parseSupergraph(sdl: string): ParsedSupergraph {
  parses++;
  const document = parse(sdl);
  // `supportedFeatures: null` accepts `for: SECURITY` links (@authenticated, @requiresScopes, @policy):
  // enforcing those directives is the gateway's auth layer's job, before planning.
  const supergraph = Supergraph.build(document, { supportedFeatures: null });
  const apiSchema = supergraph.apiSchema();
  const planner = new QueryPlanner(supergraph);
  return {
    sdl,
    document,
    supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
    apiSchema: apiSchema.toGraphQLJSSchema(),
    subgraphs: supergraph.subgraphsMetadata().map(({ name, url }) => ({ name, url })),
    authRequirements: readAuthRequirements(supergraph),
    // After the planner: it has already extracted the subgraphs, which the supergraph caches.
    resumableFields: resumableSubscriptionFields(supergraph),
    internals: { apiSchema, planner },
  };
}
