/**
 * useGraphqlWsServer: graphql-ws's protocol server on a `ws` server, keeping little per connection. Real
 * HTTP and websocket servers on loopback, graphql-ws's own client.
 */
import http, { type IncomingMessage } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { buildSchema } from 'graphql';
import { createClient, type Client, type ServerOptions } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { useGraphqlWsServer, type GraphqlWsExtra, type GraphqlWsServer } from '../../../gateway/http/useGraphqlWsServer.js';
import { deferred, waitFor, withTimeout } from '../../support/asyncWait.js';

const schema = buildSchema('type Query { ok: Boolean } type Subscription { tick: Int }');

interface Harness {
  wsUrl: string;
  /** The upgrade requests of the connections, weakly held. */
  requests: Array<WeakRef<IncomingMessage>>;
  /** Websocket connections the server holds open. */
  openConnections(): number;
  client(): Client;
  close(): Promise<void>;
}

async function serve(options: ServerOptions<Record<string, unknown> | undefined, GraphqlWsExtra>): Promise<Harness> {
  const server = http.createServer((_req, res) => void res.writeHead(404).end());
  const requests: Array<WeakRef<IncomingMessage>> = [];
  server.on('upgrade', (request: IncomingMessage) => void requests.push(new WeakRef(request)));
  const wsServer = new WebSocketServer({ server, path: '/graphql' });
  const served: GraphqlWsServer = useGraphqlWsServer(options, wsServer, (socket, tcp) => ({ socket, tcp }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const clients: Client[] = [];
  return {
    wsUrl,
    requests,
    openConnections: () => wsServer.clients.size,
    client() {
      const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) void client.dispose();
      await served.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A subscription root that yields `1` and then waits until it is returned. */
function tickRoot() {
  return {
    tick: async function* () {
      yield { tick: 1 };
      await new Promise(() => {});
    },
  };
}

describe('useGraphqlWsServer', () => {
  it('should serve subscriptions with the extra made from the socket and its TCP socket', async () => {
    let extra: GraphqlWsExtra | undefined;
    const harness = await serve({
      schema,
      roots: { subscription: tickRoot() },
      onConnect: (ctx) => {
        extra = ctx.extra;
        return true;
      },
    });
    try {
      const got = deferred<unknown>();
      const stop = harness
        .client()
        .subscribe({ query: 'subscription { tick }' }, { next: (value) => got.resolve(value), error: got.reject, complete: () => {} });
      expect(await withTimeout(got.promise, 'the first tick')).toEqual({ data: { tick: 1 } });
      expect(extra?.socket).toBeInstanceOf(WebSocket);
      expect(extra?.tcp).toBeInstanceOf(Socket);
      expect(extra?.tcp.remoteAddress).toBe('127.0.0.1');
      stop();
    } finally {
      await harness.close();
    }
  });

  it('should not keep the upgrade request while a subscription runs', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const harness = await serve({ schema, roots: { subscription: tickRoot() } });
    try {
      const got = deferred<unknown>();
      const stop = harness
        .client()
        .subscribe({ query: 'subscription { tick }' }, { next: (value) => got.resolve(value), error: got.reject, complete: () => {} });
      await withTimeout(got.promise, 'the first tick');
      expect(harness.requests).toHaveLength(1);
      // Collected after a few turns (HTTP parser and upgrade callbacks let go of it asynchronously).
      await waitFor(() => {
        gc();
        return harness.requests[0].deref() === undefined;
      }, 'the upgrade request to be collected');
      stop();
    } finally {
      await harness.close();
    }
  });

  it('should close a connection without connection_init after the wait, and keep one that sent it', async () => {
    const harness = await serve({ schema, roots: { subscription: tickRoot() }, connectionInitWaitTimeout: 50 });
    try {
      const silent = new WebSocket(harness.wsUrl, 'graphql-transport-ws');
      const silentClosed = deferred<{ code: number; reason: string }>();
      silent.on('close', (code, reason) => silentClosed.resolve({ code, reason: reason.toString() }));
      const got = deferred<unknown>();
      harness.client().subscribe({ query: 'subscription { tick }' }, { next: (value) => got.resolve(value), error: got.reject, complete: () => {} });
      expect(await withTimeout(silentClosed.promise, 'the silent client closed')).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
      // The client that sent connection_init got its event and is still open well after the wait.
      expect(await withTimeout(got.promise, 'the first tick')).toEqual({ data: { tick: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(harness.openConnections()).toBe(1);
    } finally {
      await harness.close();
    }
  });

  it("should close with graphql-ws's 4500 and a generic reason when a hook throws", async () => {
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    const harness = await serve({
      schema,
      onSubscribe: () => {
        throw new Error('a detail that must not reach the client');
      },
    });
    try {
      const socket = new WebSocket(harness.wsUrl, 'graphql-transport-ws');
      const closed = deferred<{ code: number; reason: string }>();
      socket.on('close', (code, reason) => closed.resolve({ code, reason: reason.toString() }));
      socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init' })));
      socket.on('message', (data: Buffer) => {
        if ((JSON.parse(data.toString()) as { type: string }).type === 'connection_ack')
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { tick }' } }));
      });
      expect(await withTimeout(closed.promise, 'the close')).toEqual({ code: 4500, reason: 'Internal server error' });
      expect(error).toHaveBeenCalled();
    } finally {
      error.mockRestore();
      await harness.close();
    }
  });
});
