import type { GraphQLDataSource } from '@apollo/gateway';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { currentRequest, REQUEST_ID_HEADER } from '../../core/observability/requestContext.js';
import { isNoopSpan } from '../../core/observability/isNoopSpan.js';
import { meshTracer } from '../../core/observability/meshTracer.js';

/**
 * A subgraph data source whose fetches are traced (a client span under @apollo/gateway's
 * `gateway.fetch`) and carry the W3C `traceparent` and the caller's `x-request-id` to the subgraph. The
 * headers go in through `request.http.headers`, which the data sources copy before their own
 * `willSendRequest` (gateway/upstream/SubgraphDataSource.ts, as RemoteGraphQLDataSource does), so the
 * HTTP client behind them is free to change. Timing is the HTTP client's (`onFetch`), which also sees
 * retries and fetches an open breaker refused.
 */
export function observedDataSource(subgraph: string, source: GraphQLDataSource): GraphQLDataSource {
  const observed = Object.create(source) as GraphQLDataSource;
  observed.process = async (options) => {
    const span = meshTracer().startSpan(`subgraph ${subgraph}`, { kind: SpanKind.CLIENT, attributes: { 'mesh.subgraph': subgraph } });
    const headers = new Headers(options.request.http ? [...options.request.http.headers] : []);
    // Tracing off (a no-op span): no context to carry or to make active.
    const traced = isNoopSpan(span) ? null : trace.setSpan(context.active(), span);
    if (traced) propagation.inject(traced, headers, { set: (carrier, key, value) => carrier.set(key, value) });
    const requestId = currentRequest()?.requestId;
    if (requestId) headers.set(REQUEST_ID_HEADER, requestId);
    const request = { ...options.request, http: { method: 'POST', url: '', ...options.request.http, headers } };
    try {
      if (!traced) return await source.process({ ...options, request });
      return await context.with(traced, () => source.process({ ...options, request }));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  };
  return observed;
}
