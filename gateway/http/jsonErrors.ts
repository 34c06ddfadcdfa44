import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { ErrorCode } from '../../core/errors/ErrorCode.js';
import { httpStatusOf } from '../../core/errors/statusOf.js';
import type { PublicErrorLog } from '../errors/formatPublicError.js';

/** The public codes the gateway's HTTP layer answers with; their status comes from `core/errors/statusOf.ts`. */
type HttpErrorCode =
  | typeof ErrorCode.BAD_REQUEST
  | typeof ErrorCode.NOT_FOUND
  | typeof ErrorCode.PAYLOAD_TOO_LARGE
  | typeof ErrorCode.UNSUPPORTED_MEDIA_TYPE
  | typeof ErrorCode.INTERNAL_SERVER_ERROR;

const isGraphqlRoute = (req: Request) => /^\/graphql(\/|$)/.test(req.originalUrl.split('?')[0] ?? '');

/** A coded JSON error: GraphQL-over-HTTP shape on `/graphql`, `{ error: { code, message, ...details } }` elsewhere. */
function send(req: Request, res: Response, code: HttpErrorCode, message: string, details: Record<string, unknown> = {}): void {
  res.status(httpStatusOf(code));
  if (isGraphqlRoute(req)) res.json({ errors: [{ message, extensions: { code, ...details } }] });
  else res.json({ error: { code, message, ...details } });
}

/** What the gateway's last error handler needs besides its log. */
export interface JsonErrorHandlerOptions {
  /** The body limit the parsers enforce, named in a 413 answer (`limit`, bytes). */
  maxBodyBytes?: number;
  /** Hears the public code of each error it answers (`mesh_gateway_errors_total`). */
  onError?: (code: HttpErrorCode) => void;
}

/** Any route nobody handled: a JSON 404 (Express would answer an HTML page). */
export const jsonNotFound: RequestHandler = (req, res) => send(req, res, 'NOT_FOUND', `no route ${req.method} ${req.path}`);

/**
 * The gateway's last error handler: bodies the parser refused (malformed, too large, bad charset) are
 * 4xx with a fixed message; anything else thrown is a 500 whose detail goes to the log, never HTML
 * with a stack.
 */
export function jsonErrorHandler(log: PublicErrorLog, options: JsonErrorHandlerOptions = {}): ErrorRequestHandler {
  const { maxBodyBytes, onError = () => {} } = options;
  const answer = (req: Request, res: Response, code: HttpErrorCode, message: string, details?: Record<string, unknown>) => {
    onError(code);
    send(req, res, code, message, details);
  };
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const { status, type } = (typeof error === 'object' && error !== null ? error : {}) as { status?: unknown; type?: unknown };
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // The parser's message only quotes the caller's own body: useful to them, nothing internal.
      if (type === 'entity.parse.failed') return answer(req, res, 'BAD_REQUEST', `the request body is not valid JSON: ${(error as Error).message}`);
      if (status === 413)
        return maxBodyBytes === undefined
          ? answer(req, res, 'PAYLOAD_TOO_LARGE', 'the request body is larger than the gateway accepts')
          : answer(req, res, 'PAYLOAD_TOO_LARGE', `the request body is larger than the gateway accepts (${maxBodyBytes} bytes)`, { limit: maxBodyBytes });
      if (status === 415) return answer(req, res, 'UNSUPPORTED_MEDIA_TYPE', 'the request body has an unsupported encoding or charset');
      return answer(req, res, 'BAD_REQUEST', 'the request could not be read');
    }
    log('error', `${req.method} ${req.path} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    answer(req, res, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  };
}
