import { isSpanContextValid, type Span } from '@opentelemetry/api';

/**
 * Whether a span is the API's no-op: not recording and without a valid trace context, which is what
 * every span is while no tracer provider is registered (tracing off, core/observability/startTracing.ts).
 * Putting such a span in a context changes nothing anyone can read or propagate, so request paths skip
 * that work (a context copy per span, issue #11). A span of a registered provider always has a valid
 * context, sampled or not, and takes the full path.
 */
export function isNoopSpan(span: Span): boolean {
  return !span.isRecording() && !isSpanContextValid(span.spanContext());
}
