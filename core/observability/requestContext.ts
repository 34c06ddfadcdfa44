import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The header that carries a request id in and out of every HTTP hop of the mesh. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What the log and the subgraph fetches of one request share. */
export interface RequestScope {
  /** The caller's `x-request-id` when it is well formed, else a fresh UUID. */
  readonly requestId: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/**
 * A caller's id is echoed into logs and subgraph requests, so only short, printable ids are taken: a
 * longer or odd one could forge log lines or smuggle header content, and is replaced by a fresh id.
 */
const ACCEPTED_ID = /^[\w.:@/+=-]{1,128}$/;

/** The request id of an incoming request: the caller's `x-request-id` when well formed, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && ACCEPTED_ID.test(value) ? value : randomUUID();
}

/** Runs `fn` with `scope` as the current request (read by {@link currentRequest}, across awaits). */
export function runInRequest<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The request the current code runs for, or undefined outside any. */
export function currentRequest(): RequestScope | undefined {
  return storage.getStore();
}
