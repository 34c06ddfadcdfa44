import type { QueryPlan } from '@apollo/query-planner';
import { context, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import { executeSync, getVariableValues, GraphQLError, Kind, OperationTypeNode, type DocumentNode, type ExecutionResult } from 'graphql';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { MeshError } from '../../core/errors/MeshError.js';
import { isNoopSpan } from '../../core/observability/isNoopSpan.js';
import { toEnginePlan, type GatewayExecutor, type GatewayPlanning, type GatewayRequestContext } from '../../core/apollo/index.js';
import type { EnginePlan, PlanStep } from '../../core/queryPlan/EnginePlan.js';
import { deniedFieldsOf } from '../auth/fieldDenials.js';
import { fragmentsOf, type ShapeField } from './compileSelections.js';
import { executePlan, type SubgraphAnswer, type SubgraphFetch } from './executePlan.js';
import { operationShape } from './operationShape.js';
import { shapeResponse } from './shapeResponse.js';

/** Options of `createMeshExecutor`. */
export interface MeshExecutorOptions {
  /** The gateway's planner, plan cache and subgraph data sources (core/apollo/gatewayPlanning.ts). */
  planning: GatewayPlanning;
  /**
   * Runs an operation whose plan the engine does not execute (e.g. `@fromContext` rewrites): usually
   * @apollo/gateway's own executor. A throw fails that operation.
   * @default refuses such operations with BAD_REQUEST
   */
  fallback?: GatewayExecutor;
  /**
   * Another planner, asked first (Hive Router's, createHivePlanner.ts): null means "plan it with
   * @apollo/gateway". A throw fails that operation.
   * @default none: @apollo/gateway plans every operation
   */
  planFirst?: (query: string, operationName: string | null | undefined) => EnginePlan | null;
}

// The same span names as @apollo/gateway's executor, so traces read the same whichever engine runs.
const tracer = trace.getTracer('mesh-query-engine');

async function inSpan<T>(name: string, attributes: Record<string, string>, body: (span: Span) => Promise<T>): Promise<T> {
  const span = tracer.startSpan(name, { attributes });
  // Tracing off: nothing to make active or to end.
  if (isNoopSpan(span)) return body(span);
  return context.with(trace.setSpan(context.active(), span), async () => {
    try {
      return await body(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

const hasDefer = (step: PlanStep | undefined): boolean => {
  if (!step) return false;
  switch (step.kind) {
    case 'Defer':
      return true;
    case 'Sequence':
    case 'Parallel':
      return step.nodes.some(hasDefer);
    case 'Flatten':
      return hasDefer(step.node);
    case 'Condition':
      return hasDefer(step.ifClause) || hasDefer(step.elseClause);
    default:
      return false;
  }
};

// Whether a plan has a Defer node, decided once per plan.
const deferring = new WeakMap<EnginePlan, boolean>();
const defers = (plan: EnginePlan): boolean => {
  let found = deferring.get(plan);
  if (found === undefined) deferring.set(plan, (found = hasDefer(plan.node)));
  return found;
};

// The engine's form of each plan, converted once per plan (plans live in the gateway's plan cache).
const enginePlans = new WeakMap<QueryPlan, EnginePlan>();
const enginePlanOf = (plan: QueryPlan): EnginePlan => {
  let converted = enginePlans.get(plan);
  if (!converted) {
    converted = toEnginePlan(plan);
    enginePlans.set(plan, converted);
  }
  return converted;
};

/**
 * The mesh query engine as an Apollo Server gateway executor: the operation is planned by
 * @apollo/gateway (its planner and plan cache), the plan is run by executePlan.ts through the gateway's
 * subgraph data sources (the pooled client, breakers, failover, located failures, freshness), and the
 * response is written once by shapeResponse.ts, field auth's denials included (auth/fieldDenials.ts).
 */
export function createMeshExecutor(options: MeshExecutorOptions): GatewayExecutor {
  const { planning, fallback, planFirst } = options;
  return (requestContext) =>
    inSpan('gateway.request', {}, async () => {
      const { request, schema } = requestContext;
      const handoff = deniedFieldsOf(requestContext);
      // The client's document and operation: shaping answers what was asked, denied fields included.
      const document: DocumentNode = handoff?.original ?? requestContext.document;
      const operation = handoff?.operation ?? requestContext.operation;
      // No operation (Apollo Server leaves that to the gateway): the fallback explains why, as @apollo/gateway does.
      if (!operation)
        return fallback
          ? fallback(requestContext)
          : { errors: [new MeshError(ErrorCode.OPERATION_RESOLUTION_FAILURE, 'The operation could not be resolved.')] };
      const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
      if (coerced.errors) return { errors: coerced.errors };

      const plan = await inSpan('gateway.plan', {}, async () => {
        const query = requestContext.request.query ?? requestContext.source;
        return (
          (planFirst && query !== undefined && planFirst(query, requestContext.request.operationName)) || enginePlanOf(await planning.plan(requestContext))
        );
      });
      if (defers(plan))
        return {
          errors: [new MeshError(ErrorCode.BAD_REQUEST, 'This operation cannot be run: @defer is not supported: the gateway answers in one response.')],
        };
      if (plan.unsupported) {
        if (fallback) return fallback(requestContext);
        return { errors: [new MeshError(ErrorCode.BAD_REQUEST, `This operation cannot be run: ${plan.unsupported}.`)] };
      }

      const fetch: SubgraphFetch = (step, variables, path) =>
        inSpan(
          'gateway.fetch',
          { service: step.serviceName },
          async () =>
            (await planning.fetch(
              step.serviceName,
              { query: step.operation, variables, ...(step.operationName && { operationName: step.operationName }) },
              requestContext,
              path,
            )) as SubgraphAnswer,
        );
      const execution = await inSpan('gateway.execute', {}, () =>
        executePlan({
          node: plan.node,
          fetch,
          variables: request.variables ?? undefined,
          coercedVariables: coerced.coerced,
          supergraph: planning.supergraphSchema(),
        }),
      );

      const rootType = schema.getRootType(operation.operation);
      if (!rootType) return { errors: [new MeshError(ErrorCode.BAD_REQUEST, `The schema has no ${operation.operation} type.`)] };
      const introspect = (field: ShapeField) => introspection(requestContext, document, field);
      const shaped = shapeResponse({
        schema,
        root: operationShape(schema, document, operation, coerced.coerced),
        rootType,
        data: execution.data,
        fetchErrors: execution.errors,
        denied: handoff?.denied,
        introspect,
      });
      let errors: GraphQLError[] = [...execution.errors, ...shaped.errors];
      if (handoff) {
        handoff.handled = true;
        // No data at all: the denied fields are reported where they were asked for, as the replay does.
        if (shaped.data === null)
          errors = [...errors.filter((e) => e.extensions?.code !== ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE), ...handoff.errorsWithoutData()];
      }
      const result: ExecutionResult = errors.length ? { data: shaped.data, errors } : { data: shaped.data };
      return result;
    });
}

/** An introspection root field (`__schema`, `__type`), answered by graphql-js over the API schema. */
function introspection(requestContext: GatewayRequestContext, document: DocumentNode, field: ShapeField): unknown {
  const operation = requestContext.operation;
  const { data } = executeSync({
    schema: requestContext.schema,
    document: {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: OperationTypeNode.QUERY,
          variableDefinitions: operation?.variableDefinitions,
          selectionSet: { kind: Kind.SELECTION_SET, selections: field.nodes },
        },
        ...fragmentsOf(document).values(),
      ],
    },
    variableValues: requestContext.request.variables ?? {},
  });
  return data?.[field.key] ?? null;
}
