import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { REQUEST_ID_HEADER, requestIdFrom, runInRequest } from './requestContext.js';
import { isNoopSpan } from './isNoopSpan.js';
import { meshTracer } from './meshTracer.js';

/** Options of {@link observeHttp}. */
export interface ObserveHttpOptions {
  /** Where request records go: `debug` for answered requests, `warn` for 5xx. */
  logger: Logger;
  /**
   * Called once per answered request with its duration, e.g. to feed a histogram. A throw is ignored.
   * @default none
   */
  onAnswered?: (req: IncomingMessage, res: ServerResponse, seconds: number) => void;
}

/** Paths whose requests are not traced or logged: probes and scrapes would drown the rest. */
const QUIET = /^\/(health|ready|metrics)(\/|\?|$)/;

/**
 * Express/connect middleware first in every mesh HTTP app: takes or assigns the request id (echoed as
 * `x-request-id`), continues the caller's W3C trace (`traceparent`) in a server span, and runs the rest of
 * the request inside both, so log records and outgoing subgraph requests carry them.
 */
export function observeHttp(options: ObserveHttpOptions): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const { logger, onAnswered } = options;
  return (req, res, next) => {
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0];
    const quiet = QUIET.test(path);
    const parent = propagation.extract(context.active(), req.headers);
    const span = quiet
      ? null
      : meshTracer().startSpan(
          `${req.method} ${path}`,
          { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'url.path': path, 'mesh.request_id': requestId } },
          parent,
        );
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      try {
        onAnswered?.(req, res, seconds);
      } catch {
        // metrics must not break serving
      }
      if (span) {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
      if (quiet) return;
      const record = { requestId, method: req.method, path, status: res.statusCode, ms: Math.round(seconds * 1000) };
      if (res.statusCode >= 500) logger.warn(record, 'request failed');
      else logger.debug(record, 'request answered');
    });
    // A no-op span (tracing off) in the context would change nothing: the context copy is skipped.
    const scope = span && !isNoopSpan(span) ? trace.setSpan(parent, span) : parent;
    runInRequest({ requestId }, () => context.with(scope, next));
  };
}
