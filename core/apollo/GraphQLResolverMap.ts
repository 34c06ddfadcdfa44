/**
 * The resolver map `buildSubgraphSchema([{ typeDefs, resolvers }])` takes. @apollo/subgraph does not
 * export the type from its entry point, so the shape is declared here (instead of a `dist/` import) and
 * test/apollo/ checks at compile time that it still fits the public signature.
 */
import type { buildSubgraphSchema } from '@apollo/subgraph';
import type { DocumentNode, GraphQLFieldResolver, GraphQLScalarType } from 'graphql';

/** Resolvers by type and field name (a field may carry `resolve`/`subscribe`), scalars, enum values. */
/* eslint-disable @typescript-eslint/no-explicit-any -- mirrors @apollo/subgraph's own resolver map type, whose parents are `any` */
export interface GraphQLResolverMap<TContext = unknown> {
  [typeName: string]:
    | {
        [fieldName: string]:
          | GraphQLFieldResolver<any, TContext>
          | { requires?: string; resolve?: GraphQLFieldResolver<any, TContext>; subscribe?: GraphQLFieldResolver<any, TContext> };
      }
    | GraphQLScalarType
    | { [enumValue: string]: string | number };
}

/** The `resolvers` of one schema module, as `buildSubgraphSchema` declares it. */
export type SubgraphSchemaModuleResolvers = Exclude<Extract<Parameters<typeof buildSubgraphSchema>[0], readonly unknown[]>[number], DocumentNode>['resolvers'];
