import type { GraphQLDataSource } from '@apollo/gateway';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { currentRequest, REQUEST_ID_HEADER } from '../../core/observability/requestContext.js';
import { meshTracer } from '../../core/observability/startTracing.js';
import type { GatewayMetrics } from './createGatewayMetrics.js';

/**
 * A subgraph data source whose fetches are timed (`mesh_gateway_subgraph_fetch_duration_seconds`),
 * traced (a client span under @apollo/gateway's `gateway.fetch`), and carry the W3C `traceparent` and the
 * caller's `x-request-id` to the subgraph. The headers go in through `request.http.headers`, which every
 * RemoteGraphQLDataSource copies before its own `willSendRequest`, so the HTTP client behind it is free
 * to change.
 */
export function observedDataSource(subgraph: string, source: GraphQLDataSource, metrics: GatewayMetrics): GraphQLDataSource {
  const observed = Object.create(source) as GraphQLDataSource;
  observed.process = async (options) => {
    const span = meshTracer().startSpan(`subgraph ${subgraph}`, { kind: SpanKind.CLIENT, attributes: { 'mesh.subgraph': subgraph } });
    const headers = new Headers(options.request.http ? [...options.request.http.headers] : []);
    propagation.inject(trace.setSpan(context.active(), span), headers, { set: (carrier, key, value) => carrier.set(key, value) });
    const requestId = currentRequest()?.requestId;
    if (requestId) headers.set(REQUEST_ID_HEADER, requestId);
    const request = { ...options.request, http: { method: 'POST', url: '', ...options.request.http, headers } };
    const started = process.hrtime.bigint();
    let outcome: 'ok' | 'error' = 'error';
    try {
      const response = await context.with(trace.setSpan(context.active(), span), () => source.process({ ...options, request }));
      outcome = 'ok';
      return response;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
      metrics.subgraphFetched(subgraph, Number(process.hrtime.bigint() - started) / 1e9, outcome);
    }
  };
  return observed;
}
