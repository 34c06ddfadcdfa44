/**
 * Runs the rest of a subscription plan for one upstream event. `executeQueryPlan` always starts from an
 * empty result, so the event enters as the answer to the plan's first node: the primary fetch, run
 * against a data source that replies with the event instead of calling the subgraph. The rest of the plan
 * then runs unchanged through the real data sources (entity fetches batched per plan node, errors mapped
 * to paths), and the gateway's result shaping trims the response to exactly what the client selected
 * (no `__typename`/key fields it did not ask for, aliases as written).
 *
 * `executeQueryPlan` is exported but its request context is the gateway's internal one: the context
 * below is built by hand with the fields it reads (test/apollo/ pins that this keeps working).
 */
import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { QueryPlan } from '@apollo/query-planner';
import { print, type DocumentNode, type FormattedExecutionResult } from 'graphql';
import type { ParsedSupergraph } from './parseSupergraph.js';
import type { FetchNode, PlannedSubscription } from './planSubscriptionOperation.js';

type GatewayRequestContext = Parameters<typeof executeQueryPlan>[2];

export interface SubscriptionEventInput {
  supergraph: ParsedSupergraph;
  planned: PlannedSubscription;
  document: DocumentNode;
  /** Coerced variables of the client's operation. */
  variables: Record<string, unknown>;
  operationName: string | undefined;
  /** The event as the owning subgraph sent it (the primary fetch's result). */
  event: FormattedExecutionResult;
  /** Data sources by subgraph name, for the fetches of `rest`. */
  dataSources: ServiceMap;
  /** The client's context, handed to data sources. */
  context: Record<string, unknown>;
}

/** The client's payload for one event; errors are whatever the plan collected. Throws on a gateway failure. */
export async function executeSubscriptionEvent(input: SubscriptionEventInput): Promise<{ data?: Record<string, unknown> | null; errors?: readonly unknown[] }> {
  const { supergraph, planned, document, variables, operationName, event, dataSources, context } = input;
  const { primary, rest } = planned.node;
  const queryPlan: QueryPlan = { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary };
  const serviceMap: ServiceMap = { ...dataSources, [primary.serviceName]: answerPrimaryWithEvent(primary, event, dataSources[primary.serviceName]) };
  const requestContext = {
    request: { query: print(document), variables, operationName },
    context,
    document,
    operation: planned.operationContext.operation,
    operationName: operationName ?? null,
    schema: supergraph.apiSchema,
    // executeQueryPlan records error paths and traces here; it must exist.
    metrics: {},
  } as unknown as GatewayRequestContext;
  return executeQueryPlan(queryPlan, serviceMap, requestContext, planned.operationContext, supergraph.supergraphSchema, supergraph.internals.apiSchema);
}

/**
 * The owning subgraph's data source for this one event: the primary fetch is answered with the event,
 * anything else (the rest may also need that subgraph for entity fields) goes to the real data source.
 */
function answerPrimaryWithEvent(primary: FetchNode, event: FormattedExecutionResult, real: GraphQLDataSource | undefined): GraphQLDataSource {
  return {
    async process(options) {
      if (options.request.query === primary.operation) {
        // A private copy: execution merges entity fields into it, and other clients share the event.
        const data = event.data == null ? event.data : structuredClone(event.data);
        return { data, errors: event.errors };
      }
      if (!real) throw new Error(`No data source for subgraph "${primary.serviceName}".`);
      return real.process(options);
    },
  };
}
