import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export { MESH_TRACER, meshTracer } from './meshTracer.js';

/** Options of {@link startTracing}. */
export interface StartTracingOptions {
  /** `service.name` of every span of this process, e.g. `gateway` or `orders-subgraph`. */
  serviceName: string;
  /**
   * Where spans go: an OTLP/HTTP endpoint (the collector's base URL, `/v1/traces` is appended as the
   * OTLP exporter does for `OTEL_EXPORTER_OTLP_ENDPOINT`), or an exporter (tests pass an in-memory one,
   * exported span by span).
   */
  exporter: { otlpEndpoint: string } | SpanExporter;
}

/** A registered tracer provider; `shutdown()` flushes pending spans and unregisters it. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Registers a global tracer provider with W3C trace context propagation and an AsyncLocalStorage
 * context manager, so the mesh's spans and @apollo/gateway's own (`gateway.request`, `gateway.fetch`,
 * which it creates through the global API) join one trace per request. One per process.
 */
export function startTracing(options: StartTracingOptions): Tracing {
  const { serviceName, exporter } = options;
  const processor =
    'otlpEndpoint' in exporter
      ? new BatchSpanProcessor(new OTLPTraceExporter({ url: `${exporter.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` }))
      : new SimpleSpanProcessor(exporter);
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }), spanProcessors: [processor] });
  provider.register();
  return {
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
