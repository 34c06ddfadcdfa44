/**
 * The graphql-ws client the gateway uses towards one subgraph with one set of connection params.
 * Lazy: the socket opens with the first subscription and closes when the last one ends. When the socket
 * drops (subgraph restart, network), the client reconnects and re-sends every active subscription on
 * the new socket (graphql-ws retries inside `subscribe`), so consumers keep their stream. With several
 * replica URLs, every (re)connect goes to the next one, so a replica that died is not retried first.
 *
 * Keep-alive: a subgraph host that vanishes without a FIN or RST (power loss, a NAT or load balancer
 * dropping the flow) leaves a half-open socket on which nothing ever arrives and no close event ever
 * fires, so the subscriptions on it would stall forever (issue #9). The client therefore sends a
 * graphql-ws `ping` every `keepAlive.intervalMs` and, when no `pong` arrives within `timeoutMs`, destroys
 * the socket; graphql-ws then reconnects like after any drop and the upstream pool resumes every
 * subscription from its last cursor. The same deadline bounds the opening handshake of the default `ws`
 * socket: a connect to a host that accepts TCP but never answers the upgrade would otherwise hang
 * forever, since pings only start once the socket is open.
 */
import { CloseCode, createClient, type Client } from 'graphql-ws';
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

export interface UpstreamKeepAliveOptions {
  /**
   * Milliseconds between graphql-ws pings on an idle or busy upstream socket (the next ping goes out this
   * long after the previous pong). 0 turns keep-alive off.
   * @default 10000
   */
  intervalMs?: number;
  /**
   * Milliseconds to wait for the `pong` of a ping before the socket is taken for dead and destroyed
   * (without a close handshake, which a half-open socket would never finish). Also the longest the
   * default `ws` socket waits for the answer to its opening handshake.
   * @default 5000
   */
  timeoutMs?: number;
}

/** Keep-alive settings used where none are given. */
export const DEFAULT_UPSTREAM_KEEP_ALIVE = { intervalMs: 10_000, timeoutMs: 5_000 } as const satisfies Required<UpstreamKeepAliveOptions>;

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
   * Pings that detect a dead (half-open) socket; see the module comment.
   * @default DEFAULT_UPSTREAM_KEEP_ALIVE (ping every 10 s, dead after 5 s without a pong)
   */
  keepAlive?: UpstreamKeepAliveOptions;
  /**
   * WebSocket implementation for graphql-ws.
   * @default the `ws` package (Node 20 has no usable global WebSocket), with a handshake deadline of `keepAlive.timeoutMs`
   */
  webSocketImpl?: unknown;
  /**
   * Longest message read from a subgraph's socket, in bytes: a longer one closes the socket (1009) and
   * fails its subscriptions, so a broken or hostile subgraph cannot run the gateway out of memory.
   * Messages are never compressed (no `permessage-deflate`: a small frame cannot inflate past the cap).
   * Only for the default `ws` socket.
   * @default 67_108_864 (64 MiB, `MESH_SUBGRAPH_MAX_RESPONSE_BYTES`; `ws` itself would allow 100 MiB)
   */
  maxPayload?: number;
}

/** The longest message read from a subgraph's socket by default (the limit of any subgraph answer). */
export const DEFAULT_UPSTREAM_MAX_PAYLOAD = 64 * 1024 * 1024;

export const defaultRetryDelayMs = (attempt: number): number => Math.min(250 * 2 ** attempt, 10_000) + Math.floor(Math.random() * 250);

export function createUpstreamClient({
  wsUrls,
  connectionParams,
  retry = {},
  keepAlive = {},
  webSocketImpl,
  maxPayload = DEFAULT_UPSTREAM_MAX_PAYLOAD,
}: UpstreamClientOptions): Client {
  const { attempts = 20, delayMs = defaultRetryDelayMs } = retry;
  const { intervalMs = DEFAULT_UPSTREAM_KEEP_ALIVE.intervalMs, timeoutMs = DEFAULT_UPSTREAM_KEEP_ALIVE.timeoutMs } = keepAlive;
  if (wsUrls.length === 0) throw new Error('an upstream client needs at least one websocket URL');
  if (!(intervalMs >= 0) || (intervalMs > 0 && !(timeoutMs > 0))) throw new Error('upstream keep-alive needs intervalMs >= 0 and timeoutMs > 0');
  let connects = 0;
  const handshakeTimeout = timeoutMs;
  class DeadlinedWebSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { handshakeTimeout, maxPayload, perMessageDeflate: false });
    }
  }
  // The socket graphql-ws is using and the pending pong deadline on it. graphql-ws sends the first ping
  // `intervalMs` after opening (before the acknowledgement too), and the next only after a pong.
  let socket: DeadSocket | undefined;
  let pongDeadline: NodeJS.Timeout | undefined;
  const stopWaiting = () => {
    clearTimeout(pongDeadline);
    pongDeadline = undefined;
  };
  const client: Client = createClient({
    // graphql-ws calls a function `url` on every connect, retries included.
    url: wsUrls.length === 1 ? wsUrls[0] : () => wsUrls[connects++ % wsUrls.length],
    connectionParams,
    webSocketImpl: webSocketImpl ?? DeadlinedWebSocket,
    lazy: true,
    lazyCloseTimeout: 0,
    // Without it a subgraph that accepts the socket but never acknowledges would stall forever;
    // the resulting close (4504) is retried like any other.
    connectionAckWaitTimeout: 10_000,
    retryAttempts: attempts,
    retryWait: (attempt) => new Promise((resolve) => setTimeout(resolve, delayMs(attempt))),
    // graphql-ws only retries close events by default; a restarting subgraph first shows up as a
    // connection error (ECONNREFUSED), which must be retried too. Fatal close codes (4400, 4401, ...)
    // are rejected by graphql-ws before this is asked. 4403 is not among them (a server may grant access
    // later), but a subgraph closes with it when it refuses the gateway's identity at connect (not
    // trusted, another secret): retrying for the next minute only hid that from the client, whose
    // subscription then waited in silence. It ends the subscription with an error instead.
    shouldRetry: (reason) => !isCloseWith(reason, CloseCode.Forbidden),
    keepAlive: intervalMs,
    on: {
      opened: (opened) => {
        stopWaiting();
        socket = opened as DeadSocket;
      },
      closed: () => {
        stopWaiting();
        socket = undefined;
      },
      ping: (received) => {
        if (received || !socket) return;
        const pinged = socket;
        stopWaiting();
        pongDeadline = setTimeout(() => {
          if (socket !== pinged) return;
          // `terminate()` makes graphql-ws retry (4499 is retryable) and forget the socket at once; the
          // `ws` socket's own terminate then frees the file descriptor instead of waiting for a close
          // handshake that cannot complete.
          client.terminate();
          pinged.terminate?.();
        }, timeoutMs);
        pongDeadline.unref?.();
      },
      pong: (received) => {
        if (received) stopWaiting();
      },
    },
  });
  return client;
}

/** What keep-alive needs of a socket: `ws` sockets can be destroyed without a close handshake. */
interface DeadSocket {
  terminate?(): void;
}

/** Whether graphql-ws reported a close event with `code`. */
function isCloseWith(reason: unknown, code: number): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { code?: unknown }).code === code;
}
