/**
 * What the mesh query engine (gateway/engine/) takes from a running `ApolloGateway`: its query plans
 * (its planner and its plan cache, under the same cache key its own executor uses), the data source of
 * each subgraph (built by the gateway's `buildService`), and the supergraph schema the plan's type
 * conditions refer to. These are private fields of `ApolloGateway` 2.x (`queryPlanStore`,
 * `queryPlanner`, `apiSchema`, `supergraphSchema`, `serviceMap`); test/apollo/ pins them.
 */
import { createHash } from 'node:crypto';
import { operationFromDocument, type Operation, type Schema } from '@apollo/federation-internals';
import type { ApolloGateway, GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { QueryPlan, QueryPlanner } from '@apollo/query-planner';
import type { GraphQLSchema } from 'graphql';
import { READ_ONLY_ANSWER } from './readOnlyAnswer.js';
import type { GatewayRequestContext } from './wrapGatewayExecutor.js';

/** The private state of `ApolloGateway` the engine reads. */
interface GatewayInternals {
  queryPlanStore?: { get(key: string): Promise<QueryPlan | undefined>; set(key: string, plan: QueryPlan): Promise<void> };
  queryPlanner?: QueryPlanner;
  apiSchema?: Schema;
  supergraphSchema?: GraphQLSchema;
  serviceMap?: Record<string, { dataSource: GraphQLDataSource }>;
  recursiveSelectionsLimitDisabled?: boolean;
  nonLocalSelectionsLimitDisabled?: boolean;
}

/** One subgraph operation as the engine sends it. */
export interface SubgraphRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName?: string;
}

/** The gateway's planning and subgraph access, for an executor of its own. */
export interface GatewayPlanning {
  /** The plan of the request's operation: from the gateway's plan cache, else planned and cached there. */
  plan(requestContext: GatewayRequestContext): Promise<QueryPlan>;
  /**
   * Sends one subgraph operation of the plan through the subgraph's data source (as the gateway's
   * `buildService` built it), as @apollo/gateway's executor does, marked `READ_ONLY_ANSWER`: the answer
   * may be shared with other operations, and must not be written into. Throws for a subgraph the
   * supergraph does not have, and whatever the data source throws.
   */
  fetch(
    serviceName: string,
    request: SubgraphRequest,
    requestContext: GatewayRequestContext,
    path: ReadonlyArray<string | number>,
  ): ReturnType<GraphQLDataSource['process']>;
  /** The supergraph as a graphql-js schema (every type, also `@inaccessible` ones): plan type conditions refer to it. */
  supergraphSchema(): GraphQLSchema;
}

/** Throws when the gateway is not the @apollo/gateway version whose internals the engine relies on. */
function internalsOf(
  gateway: ApolloGateway,
): Required<Pick<GatewayInternals, 'queryPlanStore' | 'queryPlanner' | 'apiSchema' | 'supergraphSchema' | 'serviceMap'>> & GatewayInternals {
  const internals = gateway as unknown as GatewayInternals;
  if (!internals.queryPlanStore || !internals.queryPlanner || !internals.apiSchema || !internals.supergraphSchema || !internals.serviceMap)
    throw new Error('@apollo/gateway has no supergraph loaded, or its internals changed (see core/apollo/gatewayPlanning.ts)');
  return internals as ReturnType<typeof internalsOf>;
}

/** Reads the gateway's planning state at each call, so a supergraph update is seen at once. */
export function gatewayPlanning(gateway: ApolloGateway): GatewayPlanning {
  return {
    async plan(requestContext) {
      const internals = internalsOf(gateway);
      const { request, queryHash, document } = requestContext;
      // The key @apollo/gateway's own executor uses: both engines share one plan cache.
      const key = request.operationName ? createHash('sha256').update(queryHash).update(request.operationName).digest('hex') : queryHash;
      const cached = await internals.queryPlanStore.get(key);
      if (cached) return cached;
      const operation: Operation = operationFromDocument(internals.apiSchema, document, { operationName: request.operationName });
      const plan = internals.queryPlanner.buildQueryPlan(operation, {
        recursiveSelectionsLimitDisabled: internals.recursiveSelectionsLimitDisabled,
        nonLocalSelectionsLimitDisabled: internals.nonLocalSelectionsLimitDisabled,
      });
      await internals.queryPlanStore.set(key, plan).catch(() => undefined);
      return plan;
    },
    async fetch(serviceName, request, requestContext, path) {
      const source = internalsOf(gateway).serviceMap[serviceName]?.dataSource;
      if (!source) throw new Error(`Couldn't find service with name "${serviceName}"`);
      return source.process({
        // GraphQLDataSourceRequestKind.INCOMING_OPERATION: the enum is not exported by the package's index.
        kind: 'incoming operation' as Extract<GraphQLDataSourceProcessOptions, { incomingRequestContext: unknown }>['kind'],
        request: { ...request },
        incomingRequestContext: requestContext,
        context: requestContext.context,
        pathInIncomingRequest: [...path],
        [READ_ONLY_ANSWER]: true,
      } as GraphQLDataSourceProcessOptions);
    },
    supergraphSchema: () => internalsOf(gateway).supergraphSchema,
  };
}
