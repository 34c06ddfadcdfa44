/**
 * Turns one upstream event into the client's full payload. `executeQueryPlan` always starts from an empty
 * result, so the event enters as the answer to the plan's first node: the primary fetch, run against a
 * data source that replies with the event instead of calling the subgraph. The rest of the plan then runs
 * unchanged through the real data sources (entity fetches batched per plan node, errors mapped to paths
 * with DOWNSTREAM_SERVICE_ERROR), and the gateway's result shaping trims the response to exactly what
 * the client selected (no `__typename`/key fields it did not ask for, aliases as written).
 */
import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import { GraphQLError, print, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import type { SubscriptionPlan } from './planSubscription.js';
import { ErrorCode } from '../../core/errors/ErrorCode.js';

type GatewayRequestContext = Parameters<typeof executeQueryPlan>[2];

export interface ResolveEventFieldsInput {
  plan: SubscriptionPlan;
  /** The event as the owning subgraph sent it (the primary operation's result). */
  event: FormattedExecutionResult;
  /** Data sources by subgraph name, for the entity fetches of `plan.node.rest`. */
  dataSources: ServiceMap;
  /** The client's context, handed to data sources (e.g. for signed identity headers). */
  context: Record<string, unknown>;
}

/** Never throws: an unexpected failure becomes an `errors`-only result for this event. */
export async function resolveEventFields({ plan, event, dataSources, context }: ResolveEventFieldsInput): Promise<ExecutionResult> {
  const { primary, rest } = plan.node;
  const queryPlan: QueryPlan = {
    kind: 'QueryPlan',
    node: rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary,
  };
  const serviceMap: ServiceMap = {
    ...dataSources,
    [primary.serviceName]: answerPrimaryWithEvent(primary, event, dataSources[primary.serviceName]),
  };
  const requestContext = {
    request: { query: print(plan.document), variables: plan.variables, operationName: plan.operationName },
    context,
    document: plan.document,
    operation: plan.operationContext.operation,
    operationName: plan.operationName ?? null,
    schema: plan.supergraph.apiGraphQLSchema,
    // executeQueryPlan records error paths and traces here; it must exist.
    metrics: {},
  } as unknown as GatewayRequestContext;

  try {
    const { data, errors } = await executeQueryPlan(
      queryPlan,
      serviceMap,
      requestContext,
      plan.operationContext,
      plan.supergraph.supergraphSchema,
      plan.supergraph.apiSchema,
    );
    // graphql-ws serialises errors with `toJSON`: anything the plan collected that is not a GraphQLError
    // (a data source or the gateway throwing a plain Error) would fail the client's whole stream.
    return errors && errors.length > 0 ? { data, errors: errors.map(asGraphQLError) } : { data };
  } catch (error) {
    return {
      errors: [
        new GraphQLError('Could not resolve the subscription event.', {
          originalError: error instanceof Error ? error : undefined,
          extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
        }),
      ],
    };
  }
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
        return { data: event.data == null ? event.data : structuredClone(event.data), errors: event.errors };
      }
      if (!real) throw new Error(`No data source for subgraph "${primary.serviceName}".`);
      return real.process(options);
    },
  };
}

function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const original = error instanceof Error ? error : undefined;
  return new GraphQLError(original?.message ?? String(error), {
    originalError: original,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  });
}
