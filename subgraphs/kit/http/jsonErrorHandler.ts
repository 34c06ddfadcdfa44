import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { MeshError } from '../../../core/errors/MeshError.js';
import { sendError, type ErrorShape } from './sendError.js';

/** Where a subgraph's HTTP layer logs the detail of errors it masks. */
export type HttpErrorLog = (message: string, error: unknown) => void;

const defaultLog: HttpErrorLog = (message, error) => console.error(`${new Date().toISOString()} subgraph error: ${message}`, error);

/** GraphQL routes answer in the GraphQL-over-HTTP shape; every other route in the REST shape. */
const shapeOf = (req: Request): ErrorShape => (/^\/graphql(\/|$)/.test(req.originalUrl.split('?')[0] ?? '') ? 'graphql' : 'rest');

/** Public code and message for an error thrown by the body parsers (they carry `type` and `status`). */
function parserError(error: { type?: unknown; status?: unknown; message?: unknown }): { code: ErrorCode; message: string } | null {
  const status = typeof error.status === 'number' ? error.status : 0;
  if (status < 400 || status >= 500) return null;
  // The parser's message only quotes the caller's own body: useful to them, nothing internal.
  if (error.type === 'entity.parse.failed') return { code: ErrorCode.BAD_REQUEST, message: `the request body is not valid JSON: ${String(error.message)}` };
  if (status === 413) return { code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'the request body is larger than this endpoint accepts' };
  if (status === 415) return { code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: 'the request body has an unsupported encoding or charset' };
  return { code: ErrorCode.BAD_REQUEST, message: 'the request body could not be read' };
}

/**
 * The last error handler of a subgraph's Express app: every error becomes a JSON answer with a public
 * code (Express's default is an HTML page with the stack). Coded `MeshError`s keep their message; body
 * parser errors get a fixed message; anything else is a 500 whose detail goes to the log only.
 */
export function jsonErrorHandler(log: HttpErrorLog = defaultLog): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const shape = shapeOf(req);
    if (error instanceof MeshError) return sendError(res, shape, error.code, error.message, error.details);
    const parsed = typeof error === 'object' && error !== null ? parserError(error as Parameters<typeof parserError>[0]) : null;
    if (parsed) return sendError(res, shape, parsed.code, parsed.message);
    log(`${req.method} ${req.path} failed`, error);
    sendError(res, shape, ErrorCode.INTERNAL_SERVER_ERROR, 'internal error; the detail is in the server log');
  };
}

/** Answers any route nobody handled with a JSON 404. */
export const jsonNotFound: RequestHandler = (req, res) => sendError(res, shapeOf(req), ErrorCode.NOT_FOUND, `no route ${req.method} ${req.path}`);
