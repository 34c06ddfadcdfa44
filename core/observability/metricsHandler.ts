import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { ErrorCode } from '../errors/ErrorCode.js';
import { httpStatusOf } from '../errors/statusOf.js';

/** Options of {@link metricsHandler}. */
export interface MetricsHandlerOptions {
  /** The process's metrics. */
  registry: Registry;
  /** When set, only `Authorization: Bearer <token>` is answered (401 otherwise). @default none */
  token?: string;
  /** Without a token, whether anyone may scrape; false answers 403 (production without a token). @default true */
  open?: boolean;
}

/**
 * `GET /metrics` in the Prometheus text format. Series name operations, subgraphs and field coordinates,
 * so in production the route is closed unless a scrape token is set (fail closed).
 */
export function metricsHandler(options: MetricsHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { registry, token, open = true } = options;
  const expected = token ? Buffer.from(`Bearer ${token}`) : null;
  const refuse = (res: ServerResponse, code: ErrorCode, message: string) => {
    res.statusCode = httpStatusOf(code);
    res.setHeader('content-type', 'application/json');
    if (code === ErrorCode.UNAUTHENTICATED) res.setHeader('www-authenticate', 'Bearer realm="metrics"');
    res.end(JSON.stringify({ error: { code, message } }));
  };
  return (req, res) => {
    if (expected) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return refuse(res, ErrorCode.UNAUTHENTICATED, 'metrics need Authorization: Bearer <MESH_METRICS_TOKEN>');
    } else if (!open) return refuse(res, ErrorCode.FORBIDDEN, 'metrics are closed in production: set MESH_METRICS_TOKEN to scrape them');
    registry.metrics().then(
      (text) => {
        res.setHeader('content-type', registry.contentType);
        res.end(text);
      },
      () => {
        res.statusCode = 500;
        res.end();
      },
    );
  };
}
