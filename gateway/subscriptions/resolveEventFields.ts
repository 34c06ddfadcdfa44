/**
 * Turns one upstream event into the client's full payload: the rest of the subscription plan runs with
 * the event as the primary fetch's answer (see core/apollo/executeSubscriptionEvent.ts), entity fetches
 * through the real data sources with errors mapped to paths (DOWNSTREAM_SERVICE_ERROR).
 */
import type { ServiceMap } from '@apollo/gateway';
import { GraphQLError, type ExecutionResult, type FormattedExecutionResult } from 'graphql';
import { executeSubscriptionEvent } from '../../core/apollo/index.js';
import type { SubscriptionPlan } from './planSubscription.js';
import { ErrorCode } from '../../core/errors/ErrorCode.js';

export interface ResolveEventFieldsInput {
  plan: SubscriptionPlan;
  /** The event as the owning subgraph sent it (the primary operation's result). */
  event: FormattedExecutionResult;
  /** Data sources by subgraph name, for the entity fetches of `plan.node.rest`. */
  dataSources: ServiceMap;
  /** The client's context, handed to data sources (e.g. for signed identity headers). */
  context: Record<string, unknown>;
  /**
   * Makes this event's own context from `context`, handed to data sources in its place (where the gateway
   * starts the event's request deadline).
   * @default none: `context` itself
   */
  eventContext?: (context: Record<string, unknown>) => Record<string, unknown>;
}

/** Never throws: an unexpected failure (`eventContext` throwing included) becomes an `errors`-only result for this event. */
export async function resolveEventFields({ plan, event, dataSources, context: groupContext, eventContext }: ResolveEventFieldsInput): Promise<ExecutionResult> {
  try {
    const context = eventContext ? eventContext(groupContext) : groupContext;
    const { data, errors } = await executeSubscriptionEvent({
      supergraph: plan.supergraph,
      planned: plan,
      document: plan.document,
      variables: plan.variables,
      operationName: plan.operationName,
      event,
      dataSources,
      context,
    });
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

function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const original = error instanceof Error ? error : undefined;
  return new GraphQLError(original?.message ?? String(error), {
    originalError: original,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  });
}
