/**
 * Subscription messages written once per event loop turn (createFrameBatcher through useGraphqlWs, real
 * gateway websocket server and subgraph on loopback): the messages a connection gets in one turn go out
 * in one socket write, and whatever `ws` writes itself (here `complete`) never overtakes them.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import WebSocket from 'ws';
import { parseSupergraph } from '../../../core/apollo/index.js';
import { useGraphqlWs } from '../../../gateway/http/useGraphqlWs.js';
import { createSubscriptionExecutor, type SubscriptionExecutor } from '../../../gateway/subscriptions/index.js';
import { deferred, waitFor, withTimeout } from '../../support/asyncWait.js';
import { createEventFeed } from '../../support/eventFeed.js';
import { startSubgraphServer, type SubgraphServer } from '../../support/startSubgraphServer.js';

type Message = { id?: string; type: string; payload?: { data?: { tick?: number | null; ticks?: number | null } } };

describe('subscription messages batched per event loop turn', () => {
  const feed = createEventFeed<number>();
  let subgraph: SubgraphServer;
  let executor: SubscriptionExecutor;
  let server: http.Server;
  let dispose: () => Promise<void>;
  let wsUrl: string;
  /** The gateway's side of each TCP connection, in accept order. */
  const accepted: Socket[] = [];
  const sockets: WebSocket[] = [];

  beforeEach(async () => {
    const typeDefs = parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
      type Query { ping: Boolean }
      type Subscription { tick: Int ticks(count: Int!): Int }
    `);
    const schema = buildSubgraphSchema({
      typeDefs,
      resolvers: {
        Query: { ping: () => true },
        Subscription: {
          tick: { subscribe: () => feed.subscribe(), resolve: (n: number) => n },
          // A finite stream: the subgraph sends its events and `complete` together.
          ticks: {
            subscribe: async function* (_: unknown, { count }: { count: number }) {
              for (let n = 1; n <= count; n++) yield n;
            },
            resolve: (n: number) => n,
          },
        },
      },
    });
    subgraph = await startSubgraphServer(schema);
    const composed = composeServices([{ name: 'ticker', url: subgraph.url, typeDefs }]);
    if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('; '));
    executor = createSubscriptionExecutor({ supergraphSdl: composed.supergraphSdl, subgraphs: { ticker: { url: subgraph.url } } });
    const apiSchema = parseSupergraph(composed.supergraphSdl).apiSchema;
    server = http.createServer((_req, res) => void res.writeHead(404).end());
    server.on('connection', (socket) => void accepted.push(socket));
    ({ dispose } = useGraphqlWs({
      server,
      path: '/graphql',
      schema: () => apiSchema,
      subscriptions: () => executor,
      executeOperation: async () => ({ errors: [] }),
      maxOperationsPerSocket: 10,
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.terminate();
    accepted.length = 0;
    await dispose();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await executor.dispose();
    await subgraph.close();
  });

  /** A graphql-transport-ws connection recording every message in arrival order. */
  async function connect() {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    sockets.push(socket);
    const messages: Message[] = [];
    const acked = deferred<void>();
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as Message;
      if (message.type === 'connection_ack') acked.resolve();
      else messages.push(message);
    });
    await new Promise<void>((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await withTimeout(acked.promise, 'connection_ack');
    const subscribe = (id: string, query: string) => socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
    return { messages, subscribe };
  }

  it('should write the messages one connection gets in one turn with one socket write', async () => {
    const client = await connect();
    for (const id of ['a', 'b', 'c']) client.subscribe(id, 'subscription { tick }');
    await waitFor(() => executor.stats().clients === 3 && feed.active === 1, 'three subscriptions in one group');
    const tcp = accepted[0];
    let writes = 0;
    const write = tcp.write.bind(tcp) as (...args: unknown[]) => boolean;
    tcp.write = (...args: unknown[]) => {
      writes += 1;
      return write(...args);
    };

    feed.publish(1);
    await waitFor(() => client.messages.length === 3, 'the event on each subscription');
    expect(client.messages.map((m) => [m.id, m.type, m.payload?.data?.tick])).toEqual([
      ['a', 'next', 1],
      ['b', 'next', 1],
      ['c', 'next', 1],
    ]);
    expect(writes).toBe(1);

    // Two events that finish in one turn: six messages, still one write.
    feed.publish(2);
    feed.publish(3);
    await waitFor(() => client.messages.length === 9, 'both events on each subscription');
    expect(client.messages.slice(3).map((m) => `${m.id}${m.payload?.data?.tick}`)).toEqual(['a2', 'b2', 'c2', 'a3', 'b3', 'c3']);
    expect(writes).toBe(2);
  });

  it('should give many connections exactly the frames of their own subscription ids, in order', async () => {
    const CONNECTIONS = 24;
    const EVENTS = 30;
    // Ids of different lengths (the spliced head differs in size), two subscriptions per connection.
    const idsOf = (c: number) => [`c${c}`, `connection-${c}-${'x'.repeat(c * 7)}`];
    const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect()));
    clients.forEach((client, c) => idsOf(c).forEach((id) => client.subscribe(id, 'subscription { tick }')));
    await waitFor(() => executor.stats().clients === 2 * CONNECTIONS && feed.active === 1, 'every subscription in one group');

    // Events in bursts, so that several land in one turn and one write per connection.
    for (let tick = 1; tick <= EVENTS; tick += 3) {
      for (let n = tick; n < tick + 3 && n <= EVENTS; n++) feed.publish(n);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => clients.every((client) => client.messages.length === 2 * EVENTS), 'every event on every subscription');
    const ticks = Array.from({ length: EVENTS }, (_, i) => i + 1);
    clients.forEach((client, c) => {
      const [a, b] = idsOf(c);
      expect(new Set(client.messages.map((m) => m.id))).toEqual(new Set([a, b]));
      for (const id of [a, b]) {
        const own = client.messages.filter((m) => m.id === id);
        expect(own.every((m) => m.type === 'next')).toBe(true);
        expect(own.map((m) => m.payload?.data?.tick)).toEqual(ticks);
      }
    });
  });

  it('should send complete only after the last event of the subscription', async () => {
    const client = await connect();
    client.subscribe('1', 'subscription { ticks(count: 3) }');
    await waitFor(() => client.messages.some((m) => m.type === 'complete'), 'the subscription to complete');
    expect(client.messages.map((m) => [m.type, m.payload?.data?.ticks])).toEqual([
      ['next', 1],
      ['next', 2],
      ['next', 3],
      ['complete', undefined],
    ]);
  });
});
