/**
 * The mesh's tracer, through the OpenTelemetry API alone: request paths import this, never the SDK in
 * `startTracing.ts`, so a process with tracing off does not load the SDK and its exporters at start-up.
 */
import { trace, type Tracer } from '@opentelemetry/api';

/** The instrumentation scope of the mesh's own spans. */
export const MESH_TRACER = 'graphql-data-mesh';

/** The tracer of the mesh's spans: a no-op until `startTracing` registered a provider. */
export function meshTracer(): Tracer {
  return trace.getTracer(MESH_TRACER);
}
