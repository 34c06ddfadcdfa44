/**
 * A websocket front for a subscription executor, as the gateway wires it (`useGraphqlWs` on a real HTTP
 * server on loopback, port 0), without auth: for tests of the fan-out itself (groups, the per-client
 * write, slow clients). `rawClient` speaks graphql-transport-ws by hand so a test can stop reading.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { parseSupergraph } from '../../core/apollo/index.js';
import { useGraphqlWs, type GraphqlWsOptions } from '../../gateway/http/useGraphqlWs.js';
import type { OutboundCutOff } from '../../gateway/subscriptions/index.js';
import type { SubscriptionExecutor } from '../../gateway/subscriptions/index.js';
import { deferred, withTimeout, type Deferred } from './asyncWait.js';

export interface FanoutGateway {
  wsUrl: string;
  /** Connections cut off for being slow, as `onCutOff` reported them. */
  cutOffs: OutboundCutOff[];
  /** TCP connections the gateway's server holds open (websockets included). */
  readonly connections: number;
  /**
   * Bytes the gateway holds for its clients beyond what the kernel took (the largest `writableLength` of
   * its server-side sockets): above 0 once a client that stopped reading has filled the loopback buffers.
   */
  backlogBytes(): number;
  /** A graphql-ws client (no retries), disposed by `close`. */
  client(): Client;
  /** A raw graphql-transport-ws connection with one subscription `id` "1" started. */
  rawClient(query: string, variables?: Record<string, unknown>): Promise<RawClient>;
  close(): Promise<void>;
}

export interface RawClient {
  socket: WebSocket;
  /** Payloads of `next` messages, in order. */
  payloads: unknown[];
  /** The close code and reason, when the server closes. */
  closed: Promise<{ code: number; reason: string }>;
  /** Stops reading from the socket (the kernel buffers fill, then the gateway's queue). */
  pause(): void;
  resume(): void;
}

export async function startFanoutGateway(
  supergraphSdl: string,
  executor: SubscriptionExecutor,
  options: Pick<GraphqlWsOptions, 'outbound' | 'keepAliveMs'> = {},
): Promise<FanoutGateway> {
  const server = http.createServer((_req, res) => void res.writeHead(404).end());
  const apiSchema = parseSupergraph(supergraphSdl).apiSchema;
  const cutOffs: OutboundCutOff[] = [];
  const open = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  const ws = useGraphqlWs({
    server,
    path: '/graphql',
    schema: () => apiSchema,
    subscriptions: () => executor,
    executeOperation: async () => ({ errors: [] }),
    onCutOff: (info) => void cutOffs.push(info),
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const clients: Client[] = [];
  const sockets: WebSocket[] = [];
  return {
    wsUrl,
    cutOffs,
    get connections() {
      return open.size;
    },
    backlogBytes() {
      return Math.max(0, ...[...open].map((socket) => socket.writableLength));
    },
    client() {
      const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
      clients.push(client);
      return client;
    },
    async rawClient(query, variables) {
      const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
      sockets.push(socket);
      const payloads: unknown[] = [];
      const closed = deferred<{ code: number; reason: string }>();
      const acked: Deferred<void> = deferred();
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString('utf8')) as { type: string; payload?: unknown };
        if (message.type === 'connection_ack') acked.resolve();
        if (message.type === 'next') payloads.push(message.payload);
      });
      socket.on('close', (code, reason) => closed.resolve({ code, reason: String(reason) }));
      await new Promise<void>((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.send(JSON.stringify({ type: 'connection_init' }));
      await withTimeout(acked.promise, 'connection_ack');
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
      // `ws` exposes the TCP socket it reads from; pausing it is a client that stopped reading.
      const tcp = (socket as unknown as { _socket: import('node:net').Socket })._socket;
      return { socket, payloads, closed: closed.promise, pause: () => tcp.pause(), resume: () => tcp.resume() };
    },
    async close() {
      await Promise.all(clients.map(async (client) => client.dispose()));
      for (const socket of sockets) socket.terminate();
      await ws.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
