import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type HTTPGraphQLRequest, type HTTPGraphQLResponse } from '@apollo/server';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { httpStatusOf } from '../../core/errors/statusOf.js';
import { markBodyError, markObserved } from './handover.js';
import { parseJsonBody } from './parseJsonBody.js';

/** A Node/connect middleware, as `observeHttp` and the CORS middleware are. */
type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** Options of {@link leanGraphqlPost}. */
export interface LeanGraphqlPostOptions {
  /** The path GraphQL is served on; only this exact path (no query string) takes the lean path. */
  path: string;
  /** Bodies larger than this go the Express way (which answers 413). */
  maxBodyBytes: number;
  /** Request id, trace span, request log and HTTP histogram (`core/observability/observeHttp.ts`); runs first. */
  observe: Middleware;
  /** The CORS middleware when CORS is configured: runs after `observe`, as in the Express app. @default none */
  cors?: Middleware;
  /**
   * Runs one GraphQL-over-HTTP request through the started Apollo Server (`executeHTTPGraphQLRequest`:
   * CSRF prevention, the context function, persisted queries, plugins, content negotiation, error
   * formatting), as the Express route's handler does.
   */
  execute: (request: HTTPGraphQLRequest, req: IncomingMessage) => Promise<HTTPGraphQLResponse>;
  /** The Express app: every request the lean path does not answer, marked with what was done already. */
  fallback: (req: IncomingMessage, res: ServerResponse) => void;
  /** Where a failure of `execute` is logged (the client gets the same 500 as from the Express error handler). */
  log: (level: 'error', message: string) => void;
}

/** `application/json`, with at most a UTF-8 charset: what the lean path decodes itself. */
const PLAIN_JSON = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * Whether a request is one the lean path may read: POST on the exact path with a plain JSON body of a
 * declared length within the limit. Anything else (GET, the IDE, other charsets, compressed or chunked
 * bodies, query strings, too large bodies) is Express's, untouched.
 */
function isLeanCandidate(req: IncomingMessage, path: string, maxBodyBytes: number): boolean {
  if (req.method !== 'POST' || req.url !== path) return false;
  const headers = req.headers;
  const type = headers['content-type'];
  if (type === undefined || !PLAIN_JSON.test(type)) return false;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  if (headers['transfer-encoding'] !== undefined) return false;
  const length = headers['content-length'];
  if (length === undefined || !/^\d+$/.test(length)) return false;
  const bytes = Number(length);
  return bytes > 0 && bytes <= maxBodyBytes;
}

/** Apollo Server's view of the request headers, built the way its Express integration builds it. */
function headerMapOf(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The lean request path for `POST /graphql` (README.md "Query engine", issue #11): the same GraphQL
 * pipeline as the Express route (Apollo Server's `executeHTTPGraphQLRequest` with the same context
 * function, plugins, error formatting and content negotiation), without what Express adds per request
 * around it: the router, body-parser's content-type, charset and stream machinery, `res.send`'s ETag.
 *
 * Returns a Node request listener for the HTTP server. A request the lean path does not take goes to
 * `fallback` (the Express app) as it came; one it took and then hands over (a body that is not JSON or
 * not a JSON object with keys) goes there marked: already observed (not counted or traced twice), and
 * with its body read (Express's JSON parser then skips it) or its parse error (raised in Express as the
 * parser would, so the same error handler answers it). GET stays with Express: its answers are
 * conditional (ETag, 304) and browsers get the IDE there.
 */
export function leanGraphqlPost(options: LeanGraphqlPostOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { path, maxBodyBytes, observe, cors, execute, fallback, log } = options;

  const answer = async (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) => {
    let response: HTTPGraphQLResponse;
    try {
      response = await execute({ method: 'POST', headers: headerMapOf(req), search: '', body }, req);
    } catch (error) {
      // What the Express error handler answers for a throw (gateway/http/jsonErrors.ts).
      log('error', `POST ${path} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (res.headersSent) return void res.destroy();
      const text = JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
      res.writeHead(httpStatusOf(ErrorCode.INTERNAL_SERVER_ERROR), {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
      });
      return void res.end(text);
    }
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status || 200;
    if (response.body.kind === 'complete') {
      const text = response.body.string;
      res.setHeader('content-length', Buffer.byteLength(text, 'utf8'));
      // Ended with the string itself, not a Buffer of it: Node then writes the head and the body as one
      // string (one write, no copy into a Buffer first, no writev of two chunks).
      return void res.end(text, 'utf8');
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };

  const readBody = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('error', () => res.destroy());
    // Stream events run in the socket's async context: bound, the rest of the request keeps the request
    // id and trace context observeHttp put in place (as Express's body parser binds its callback).
    // (`runInAsyncScope` on a resource rather than `AsyncResource.bind`, which builds a deprecated
    // `asyncResource` property through `util.deprecate` on every call.)
    const scope = new AsyncResource('leanGraphqlPost');
    req.once('end', () =>
      scope.runInAsyncScope(() => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = parseJsonBody(text);
        } catch (error) {
          return fallback(markBodyError(req, error as Error), res);
        }
        (req as IncomingMessage & { body?: unknown }).body = body;
        // Batches, non-objects and bodies without keys: Apollo Server's answer through the Express route.
        if (!isRecord(body) || Object.keys(body).length === 0) return fallback(req, res);
        answer(req, res, body).catch((error: unknown) => {
          log('error', `POST ${path} failed while writing: ${String(error)}`);
          res.destroy();
        });
      }),
    );
  };

  return (req, res) => {
    if (!isLeanCandidate(req, path, maxBodyBytes)) return fallback(req, res);
    observe(markObserved(req), res, () => {
      if (cors) cors(req, res, () => readBody(req, res));
      else readBody(req, res);
    });
  };
}
