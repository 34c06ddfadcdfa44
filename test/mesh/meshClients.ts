/**
 * Test-side clients of the mesh: graphql-ws clients whose sockets the test can reach (to drop one as a
 * crashing browser would), subscriptions recorded into arrays with bounded waits, and a bounded wait
 * for asynchronous conditions (HTTP probes).
 */
import { createClient, type Client, type ClientOptions, type SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';
import { deferred } from '../support/asyncWait.js';

export interface TrackedClient {
  client: Client;
  /** Every socket the client opened, in order. */
  sockets: WebSocket[];
}

/** A graphql-ws client on `url` using `ws`, recording its sockets. */
export function trackedClient(url: string, options: Partial<ClientOptions> = {}): TrackedClient {
  const sockets: WebSocket[] = [];
  class TrackedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      sockets.push(this);
    }
  }
  return { client: createClient({ url, webSocketImpl: TrackedWebSocket, ...options }), sockets };
}

export interface RecordedSubscription<T> {
  /** Every `next` payload received, in order. */
  readonly events: T[];
  /** Settles when the server completes the operation or it fails; `error` holds the failure. */
  readonly ended: Promise<{ error?: unknown }>;
  /** True once `ended` settled. */
  readonly isEnded: boolean;
  /** The next payload not yet taken by `next`, waiting at most `timeoutMs`. */
  next(what: string, timeoutMs?: number): Promise<T>;
  /** Stops the subscription (graphql-ws `complete`). */
  unsubscribe(): void;
}

/** Subscribes (or runs a query over the socket) and records what arrives. */
export function record<T = any>(client: Client, payload: SubscribePayload): RecordedSubscription<T> {
  const events: T[] = [];
  const ended = deferred<{ error?: unknown }>();
  let isEnded = false;
  let taken = 0;
  const unsubscribe = client.subscribe<T>(payload, {
    next: (value) => void events.push(value as T),
    error: (error) => {
      isEnded = true;
      ended.resolve({ error });
    },
    complete: () => {
      isEnded = true;
      ended.resolve({});
    },
  });
  return {
    events,
    ended: ended.promise,
    get isEnded() {
      return isEnded;
    },
    async next(what, timeoutMs = 5000) {
      await waitUntil(async () => events.length > taken || isEnded, what, timeoutMs);
      if (events.length <= taken) {
        const { error } = await ended.promise;
        throw new Error(`The subscription ended while waiting for ${what}${error ? `: ${describe(error)}` : ''}`);
      }
      return events[taken++];
    },
    unsubscribe,
  };
}

/** Re-checks an asynchronous condition until it holds, failing with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** JSON round trip: what a client sees on the wire. */
export const asJson = <T = any>(value: unknown): T => JSON.parse(JSON.stringify(value));

/** A close event (code and reason) or GraphQL errors, readable in a failure message. */
function describe(error: unknown): string {
  const close = error as { code?: unknown; reason?: unknown };
  if (typeof close?.code === 'number') return `socket closed ${close.code} ${typeof close.reason === 'string' ? close.reason : ''}`;
  return JSON.stringify(error);
}
