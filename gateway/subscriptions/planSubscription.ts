/**
 * Turns a client's subscription request into a federated plan, or into request errors: validation against
 * the API schema, operation selection, variable coercion, then the query planner's `SubscriptionNode`
 * (a primary fetch to the subgraph owning the root field, plus the rest for other subgraphs' fields).
 */
import { getOperationAST, getVariableValues, GraphQLError, OperationTypeNode, print, validate, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import {
  planSubscriptionOperation,
  type OperationContext,
  type ParsedSupergraph,
  type PlannedSubscription,
  type SubscriptionNode,
} from '../../core/apollo/index.js';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { normaliseSubscription, type NormalisedSubscription } from './normaliseSubscription.js';
import type { ResultOrder } from './ResultOrder.js';

/** The part of a client's request that planning needs. */
export interface SubscriptionOperation {
  document: DocumentNode;
  variables?: Record<string, unknown>;
  operationName?: string;
}

export interface SubscriptionPlan {
  readonly node: SubscriptionNode;
  readonly operationContext: OperationContext;
  /** Variables coerced against the operation's definitions (defaults applied). */
  readonly variables: Record<string, unknown>;
  /** Always undefined: the planned document is anonymous (see `normaliseSubscription`). */
  readonly operationName: string | undefined;
  /** The normalised document that was planned (the client's operation alone, anonymous). */
  readonly document: DocumentNode;
  /** Equal for requests that differ only in spelling (see `normaliseSubscription`); variables not included. */
  readonly key: string;
  /** The key order of this client's results (see `normaliseSubscription`). */
  readonly order: ResultOrder;
  readonly supergraph: ParsedSupergraph;
}

export type PlanResult = { plan: SubscriptionPlan; errors?: never } | { errors: GraphQLError[]; plan?: never };

function requestError(message: string, code: ErrorCode, original?: GraphQLError): GraphQLError {
  return new GraphQLError(message, {
    nodes: original?.nodes,
    source: original?.source,
    positions: original?.positions,
    extensions: { ...original?.extensions, code },
  });
}

/** Prepared requests kept per supergraph, by document text and operation name (see `prepare`). */
const PREPARED_PER_SUPERGRAPH = 1000;
const preparedBySupergraph = new WeakMap<ParsedSupergraph, LRUCache<string, Prepared>>();

type Prepared =
  | { errors: GraphQLError[]; operation?: never }
  | { operation: OperationDefinitionNode; normalised: NormalisedSubscription; planned: PlannedSubscription; errors?: never };

export function planSubscription(supergraph: ParsedSupergraph, request: SubscriptionOperation): PlanResult {
  const { document, variables = {}, operationName } = request;
  // Dashboards open the same few subscriptions thousands of times: validation, normalisation and
  // planning depend only on the text and the supergraph, so each text is prepared once per supergraph.
  let cache = preparedBySupergraph.get(supergraph);
  if (!cache) preparedBySupergraph.set(supergraph, (cache = new LRUCache({ max: PREPARED_PER_SUPERGRAPH })));
  // Printed, not the source text: a layer in front (field auth) hands a rewritten document whose nodes
  // still point into the client's original text.
  const key = `${operationName ?? ''}\n${print(document)}`;
  let prepared = cache.get(key);
  if (!prepared) cache.set(key, (prepared = prepare(supergraph, document, operationName)));
  if (prepared.errors) return { errors: prepared.errors };
  const { operation, normalised, planned } = prepared;

  const coerced = getVariableValues(supergraph.apiSchema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) {
    return {
      errors: coerced.errors.map((error) => requestError(error.message, ErrorCode.BAD_USER_INPUT, error)),
    };
  }
  return {
    plan: {
      node: planned.node,
      operationContext: planned.operationContext,
      variables: coerced.coerced,
      operationName: undefined,
      document: normalised.document,
      key: normalised.key,
      order: normalised.order,
      supergraph,
    },
  };
}

function prepare(supergraph: ParsedSupergraph, document: DocumentNode, operationName: string | undefined): Prepared {
  const validationErrors = validate(supergraph.apiSchema, document);
  if (validationErrors.length > 0) {
    return {
      errors: validationErrors.map((error) => requestError(error.message, ErrorCode.GRAPHQL_VALIDATION_FAILED, error)),
    };
  }

  const operation = getOperationAST(document, operationName);
  if (!operation) {
    const message = operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.';
    return { errors: [requestError(message, ErrorCode.OPERATION_RESOLUTION_FAILURE)] };
  }
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
    const message = `Operation${operation.name ? ` "${operation.name.value}"` : ''} is a ${operation.operation}; only subscriptions are executed here.`;
    return { errors: [requestError(message, ErrorCode.BAD_REQUEST)] };
  }

  // Planned without its name: the planner writes the name into fetch names, which would split groups.
  const normalised = normaliseSubscription(document, operation, supergraph.apiSchema);
  let planned: PlannedSubscription | null;
  try {
    planned = planSubscriptionOperation(supergraph, normalised.document, undefined);
  } catch (error) {
    const message = `Could not plan the subscription: ${error instanceof Error ? error.message : String(error)}`;
    return { errors: [requestError(message, ErrorCode.INTERNAL_SERVER_ERROR)] };
  }
  if (!planned) {
    return {
      errors: [requestError('The query planner did not produce a subscription plan.', ErrorCode.INTERNAL_SERVER_ERROR)],
    };
  }
  return { operation, normalised, planned };
}
