/**
 * The graphql-ws client the gateway uses towards one subgraph with one set of connection params.
 * Lazy: the socket opens with the first subscription and closes when the last one ends. When the socket
 * drops (subgraph restart, network), the client reconnects and re-sends every active subscription on
 * the new socket (graphql-ws retries inside `subscribe`), so consumers keep their stream. With several
 * replica URLs, every (re)connect goes to the next one, so a replica that died is not retried first.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface UpstreamRetryOptions {
  /**
   * Consecutive failed reconnects before active subscriptions fail with an error. The count restarts
   * after every successful connection.
   * @default 20
   */
  attempts?: number;
  /**
   * Milliseconds to wait before reconnect attempt `attempt` (0-based).
   * @default exponential from 250ms, capped at 10s, with up to 250ms jitter
   */
  delayMs?: (attempt: number) => number;
}

/** A `connection_init` payload, or a function producing one per (re)connect. */
export type UpstreamConnectionParams = Record<string, unknown> | (() => Promise<Record<string, unknown>>);

export interface UpstreamClientOptions {
  /** Replicas of one subgraph (at least one); the first connect goes to the first. */
  wsUrls: readonly string[];
  /**
   * Sent as the `connection_init` payload on every (re)connect. A function is called for each
   * (re)connect, so short-lived credentials (the gateway's signed identity) are fresh after a reconnect.
   */
  connectionParams?: UpstreamConnectionParams;
  retry?: UpstreamRetryOptions;
  /**
   * WebSocket implementation for graphql-ws.
   * @default the `ws` package (Node 20 has no usable global WebSocket)
   */
  webSocketImpl?: unknown;
}

export const defaultRetryDelayMs = (attempt: number): number => Math.min(250 * 2 ** attempt, 10_000) + Math.floor(Math.random() * 250);

export function createUpstreamClient({ wsUrls, connectionParams, retry = {}, webSocketImpl = WebSocket }: UpstreamClientOptions): Client {
  const { attempts = 20, delayMs = defaultRetryDelayMs } = retry;
  if (wsUrls.length === 0) throw new Error('an upstream client needs at least one websocket URL');
  let connects = 0;
  return createClient({
    // graphql-ws calls a function `url` on every connect, retries included.
    url: wsUrls.length === 1 ? wsUrls[0] : () => wsUrls[connects++ % wsUrls.length],
    connectionParams,
    webSocketImpl,
    lazy: true,
    lazyCloseTimeout: 0,
    // Without it a subgraph that accepts the socket but never acknowledges would stall forever;
    // the resulting close (4504) is retried like any other.
    connectionAckWaitTimeout: 10_000,
    retryAttempts: attempts,
    retryWait: (attempt) => new Promise((resolve) => setTimeout(resolve, delayMs(attempt))),
    // graphql-ws only retries close events by default; a restarting subgraph first shows up as a
    // connection error (ECONNREFUSED), which must be retried too. Fatal close codes (4400, 4401, ...)
    // are rejected by graphql-ws before this is asked.
    shouldRetry: () => true,
  });
}
