import cors from 'cors';
import type { RequestHandler } from 'express';

/** Options of {@link corsFromOrigins}. */
export interface CorsOptions {
  /**
   * Origins (`https://app.example.com`) browsers may call the gateway from; `*` allows any origin
   * (then without credentials). Empty: no cross-origin access (no CORS headers at all).
   */
  origins: readonly string[];
  /** Whether browsers may send cookies / HTTP auth cross-origin (`Access-Control-Allow-Credentials`). @default false */
  credentials?: boolean;
}

/**
 * CORS for the gateway through the `cors` package: a preflight from an allowed origin is a 204 with the
 * allow headers; from any other origin the answer carries no `Access-Control-Allow-Origin`, so the
 * browser refuses the call. Bearer tokens travel in `Authorization`, which is allowed as a request header.
 */
export function corsFromOrigins(options: CorsOptions): RequestHandler {
  const { origins, credentials = false } = options;
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && (any || allowed.has(origin))),
    credentials: credentials && !any,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: [
      'authorization',
      'content-type',
      'accept',
      'x-request-id',
      'traceparent',
      'tracestate',
      'apollo-require-preflight',
      'x-apollo-operation-name',
    ],
    exposedHeaders: ['x-request-id'],
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
}
