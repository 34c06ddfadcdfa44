import type { IncomingMessage } from 'node:http';

/**
 * What the lean `POST /graphql` path (gateway/http/leanGraphqlPost.ts) did to a request before handing it
 * to the Express app, so nothing runs twice and nothing is skipped: the request was observed (request id,
 * span, histogram), and its body was read, either into `req.body` or into the parse error Express's JSON
 * parser would have raised.
 */
const OBSERVED = Symbol('mesh.http.observed');
const BODY_ERROR = Symbol('mesh.http.bodyError');

type Marked = IncomingMessage & { [OBSERVED]?: true; [BODY_ERROR]?: Error };

/** Marks a request as observed by `observeHttp` already. */
export function markObserved<T extends IncomingMessage>(req: T): T {
  (req as Marked)[OBSERVED] = true;
  return req;
}

/** Whether `observeHttp` ran for this request already. */
export const isObserved = (req: IncomingMessage): boolean => (req as Marked)[OBSERVED] === true;

/** Marks a request whose body was read and did not parse. */
export function markBodyError<T extends IncomingMessage>(req: T, error: Error): T {
  (req as Marked)[BODY_ERROR] = error;
  return req;
}

/** The parse error of a request body the lean path read, if it did not parse. */
export const bodyErrorOf = (req: IncomingMessage): Error | undefined => (req as Marked)[BODY_ERROR];
