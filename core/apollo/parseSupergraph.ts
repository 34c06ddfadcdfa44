/**
 * Everything the gateway derives from a supergraph through @apollo/federation-internals, from one
 * parse: the graphql-js schemas, the subgraphs it declares, the query planner, the auth directives and
 * the resumable subscription fields. A running subscription keeps the `ParsedSupergraph` it was planned
 * with, so a reload never changes it mid-flight.
 */
import { Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { holdOneByteNames, type HeldNames } from './holdOneByteNames.js';
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
  /**
   * @internal The federation model of the supergraph and of the API schema, and the planner: only
   * core/apollo/ reads them (`shareParsedSupergraph` hands `supergraph` to @apollo/gateway).
   */
  readonly internals: { readonly supergraph: Supergraph; readonly apiSchema: Schema; readonly planner: QueryPlanner };
}

let parses = 0;

/** Each parsed supergraph's one-byte names (holdOneByteNames), held exactly as long as that supergraph. */
const heldNames = new WeakMap<ParsedSupergraph, HeldNames>();

/** How many supergraphs have been parsed in this process (tests prove a reload parses once). */
export function supergraphParseCount(): number {
  return parses;
}

/** Memoises `compute`: the first read pays, later reads get the same value. */
function once<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}

/**
 * Throws when the SDL is not a valid supergraph. What only subscriptions read (the query planner, the
 * graphql-js supergraph schema, the resumable fields) is built at its first read: at start-up it would
 * delay the first answer by the planner's construction, and a gateway that never serves a
 * subscription never needs it.
 */
export function parseSupergraph(sdl: string): ParsedSupergraph {
  parses++;
  const document = parse(sdl);
  // Before federation-internals validates it (a print and a parse that would make its names two-byte).
  const names = holdOneByteNames(document);
  // `supportedFeatures: null` accepts `for: SECURITY` links (@authenticated, @requiresScopes, @policy):
  // enforcing those directives is the gateway's auth layer's job, before planning.
  const supergraph = Supergraph.build(document, { supportedFeatures: null });
  const apiSchema = supergraph.apiSchema();
  const planner = once(() => new QueryPlanner(supergraph));
  const supergraphSchema = once(() => supergraph.schema.toGraphQLJSSchema());
  // After the planner: it extracts the subgraphs, which the supergraph caches.
  const resumableFields = once(() => (planner(), resumableSubscriptionFields(supergraph)));
  const internals = {
    supergraph,
    apiSchema,
    get planner() {
      return planner();
    },
  };
  const parsed: ParsedSupergraph = {
    sdl,
    document,
    get supergraphSchema() {
      return supergraphSchema();
    },
    apiSchema: apiSchema.toGraphQLJSSchema(),
    subgraphs: supergraph.subgraphsMetadata().map(({ name, url }) => ({ name, url })),
    authRequirements: readAuthRequirements(supergraph),
    get resumableFields() {
      return resumableFields();
    },
    internals,
  };
  heldNames.set(parsed, names);
  return parsed;
}
