/**
 * graphql-ws's protocol server (`makeServer`, its documented API for transports) on a `ws` server, in
 * place of graphql-ws's own `use/ws` adapter, which keeps more per connection than a gateway of 10,000
 * idle dashboards can afford (issue #9, "per-client memory ≤ 20 KB when idle"; heap snapshots of
 * `npm run bench:fanout -- --snapshot-connected`): the upgrade request with its headers for the
 * connection's life (`extra.request`, about 1.2 KB), the message buffer of each subscribe message and an
 * `async` listener frame per running subscription (about 1 KB), a closure and a `once` wrapper per
 * listener and protocol callback. Here the protocol socket is one object per connection whose methods are
 * shared, its listeners are shared functions (`this` is the socket), a message is handed over as the
 * string graphql-ws parses, and the extra is what `extra` makes of the socket and its TCP socket.
 *
 * The protocol is graphql-ws's own (`makeServer`); what changes is only what the transport holds. Keep-alive
 * is not done here (graphql-ws's per-connection timers): the gateway pings every connection from one timer
 * (`createHeartbeat`). Internal errors close the socket with graphql-ws's 4500 and a generic reason, never
 * the error's message.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { CloseCode, handleProtocols, makeServer, type ConnectionInitMessage, type ServerOptions, type WebSocket as ProtocolSocket } from 'graphql-ws';
import { WebSocket, type RawData, type WebSocketServer } from 'ws';

/** What every connection's `ctx.extra` has at least. */
export interface GraphqlWsExtra {
  /** The client's websocket. */
  readonly socket: WebSocket;
  /** The TCP socket under it (the upgrade request's socket, which `ws` reads and writes). */
  readonly tcp: Socket;
}

export interface GraphqlWsServer {
  /** Closes every connection with 1001 and stops the server. */
  dispose(): Promise<void>;
}

const INTERNAL_ERROR_REASON = 'Internal server error';
/** The connection of a socket, on the socket itself: no map entry or closure per connection. */
const CONNECTION = Symbol('graphqlWsConnection');

type ConnectedSocket = WebSocket & { [CONNECTION]?: Connection };

/** One connection as graphql-ws's protocol server sees it: methods on the prototype, nothing per call kept. */
class Connection implements ProtocolSocket {
  /** Closes the connection unless `connection_init` came by then; dropped (cleared) once it came. */
  initTimer: NodeJS.Timeout | undefined = undefined;
  private received: ((data: string) => Promise<void>) | undefined = undefined;
  closed: ((code?: number, reason?: string) => Promise<void>) | undefined = undefined;
  /** Handles a message's failure; made once per connection, on its first message. */
  private failure: ((error: unknown) => void) | undefined = undefined;

  constructor(private readonly socket: WebSocket) {}

  get protocol(): string {
    return this.socket.protocol;
  }

  send(data: string): Promise<void> {
    const { socket } = this;
    return new Promise((resolve, reject) => {
      if (socket.readyState !== WebSocket.OPEN) return resolve();
      socket.send(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  stopInitTimer(): void {
    clearTimeout(this.initTimer);
    this.initTimer = undefined;
  }

  onMessage(callback: (data: string) => Promise<void>): void {
    this.received = callback;
  }

  /**
   * Hands `data` to the protocol server. Its promise settles when the message's work ends, for a
   * subscription when the subscription does: only a rejection handler waits on it, no `async` frame.
   */
  message(data: string): void {
    if (this.initTimer !== undefined && isConnectionInit(data)) this.stopInitTimer();
    if (!this.received) return;
    this.received(data).catch((this.failure ??= (error: unknown) => internalError(this.socket, 'Internal error occurred during message handling.', error)));
  }
}

/** Whether `data` is a graphql-ws `connection_init` message (parsed only until the first one came). */
function isConnectionInit(data: string): boolean {
  try {
    return (JSON.parse(data) as { type?: unknown } | null)?.type === 'connection_init';
  } catch {
    return false;
  }
}

function onInitTimeout(connection: Connection): void {
  connection.initTimer = undefined;
  connection.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
}

function internalError(socket: WebSocket, what: string, error: unknown): void {
  console.error(`${what} Please check your implementation.`, error);
  socket.close(CloseCode.InternalServerError, INTERNAL_ERROR_REASON);
}

// Shared listeners (`this` is the socket). `on`, not `once`: `ws` emits `close` once, and a `once`
// wrapper is two more objects per connection.
function onSocketMessage(this: ConnectedSocket, data: RawData): void {
  // The text graphql-ws parses (use/ws passes `String(data)`): the buffer is not kept by a waiting frame.
  // With ws's default binary type it is one Buffer; the others are decoded alike.
  const text = Buffer.isBuffer(data) ? data.toString() : Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data).toString();
  this[CONNECTION]?.message(text);
}
function onSocketClose(this: ConnectedSocket, code: number, reason: Buffer): void {
  this[CONNECTION]?.stopInitTimer();
  const closed = this[CONNECTION]?.closed;
  if (closed) closed(code, String(reason)).catch((error: unknown) => console.error('Internal error while closing a graphql-ws connection.', error));
}
function onSocketError(this: ConnectedSocket, error: Error): void {
  internalError(this, 'Internal error emitted on a WebSocket socket.', error);
}

/**
 * Serves graphql-ws on `wsServer`: each connection's `ctx.extra` is `extra(socket, tcp)`.
 * @param options graphql-ws's server options
 * @param extra makes a connection's extra (called once per connection, before any message)
 */
export function useGraphqlWsServer<P extends ConnectionInitMessage['payload'], E extends GraphqlWsExtra>(
  options: ServerOptions<P, E>,
  wsServer: WebSocketServer,
  extra: (socket: WebSocket, tcp: Socket) => E,
): GraphqlWsServer {
  // graphql-ws's own wait for `connection_init` keeps its timer for the connection's life (a closure
  // holds it, to clear it on close): here it is dropped once the message came.
  const { connectionInitWaitTimeout = 3_000 } = options;
  const initWaitMs = connectionInitWaitTimeout > 0 && Number.isFinite(connectionInitWaitTimeout) ? connectionInitWaitTimeout : 0;
  const server = makeServer({ ...options, connectionInitWaitTimeout: 0 });
  wsServer.options.handleProtocols = handleProtocols;
  wsServer.once('error', (error) => {
    console.error('Internal error emitted on the WebSocket server. Please check your implementation.', error);
    for (const client of wsServer.clients) client.close(CloseCode.InternalServerError, INTERNAL_ERROR_REASON);
  });
  wsServer.on('connection', (socket: ConnectedSocket, request: IncomingMessage) => {
    const connection = new Connection(socket);
    socket[CONNECTION] = connection;
    socket.on('error', onSocketError);
    socket.on('message', onSocketMessage);
    socket.on('close', onSocketClose);
    connection.closed = server.opened(connection, extra(socket, request.socket));
    if (initWaitMs > 0 && socket.readyState === WebSocket.OPEN) connection.initTimer = setTimeout(onInitTimeout, initWaitMs, connection);
  });
  return {
    dispose: async () => {
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
