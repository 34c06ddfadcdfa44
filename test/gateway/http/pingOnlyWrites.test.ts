/**
 * Keep-alive pings on a connection that has had subscription messages (useGraphqlWs): a ping waiting for
 * the connection's next write goes out alone when no message comes (createFrameBatcher's `flushPiggyback`),
 * and such a write delivers no message, so it is never counted as a delivery. Real gateway websocket
 * server and subgraph on loopback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import WebSocket from 'ws';
import { parseSupergraph } from '../../../core/apollo/index.js';
import { useGraphqlWs } from '../../../gateway/http/useGraphqlWs.js';
import { createSubscriptionExecutor } from '../../../gateway/subscriptions/index.js';
import { deferred, waitFor, withTimeout } from '../../support/asyncWait.js';
import { createEventFeed } from '../../support/eventFeed.js';
import { startSubgraphServer } from '../../support/startSubgraphServer.js';

it('should count no delivery for a write of only a keep-alive ping', async () => {
  const feed = createEventFeed<number>();
  const typeDefs = parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
    type Query { ping: Boolean }
    type Subscription { tick: Int }
  `);
  const schema = buildSubgraphSchema({
    typeDefs,
    resolvers: { Query: { ping: () => true }, Subscription: { tick: { subscribe: () => feed.subscribe(), resolve: (n: number) => n } } },
  });
  const subgraph = await startSubgraphServer(schema);
  const composed = composeServices([{ name: 'ticker', url: subgraph.url, typeDefs }]);
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('; '));
  const executor = createSubscriptionExecutor({ supergraphSdl: composed.supergraphSdl, subgraphs: { ticker: { url: subgraph.url } } });
  const apiSchema = parseSupergraph(composed.supergraphSdl).apiSchema;
  const server = http.createServer((_req, res) => void res.writeHead(404).end());
  const delivered: number[] = [];
  const { dispose } = useGraphqlWs({
    server,
    path: '/graphql',
    schema: () => apiSchema,
    subscriptions: () => executor,
    executeOperation: async () => ({ errors: [] }),
    // Pings every few milliseconds: the connection gets many while no event comes.
    keepAliveMs: 60,
    onDelivered: (count) => void delivered.push(count),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, 'graphql-transport-ws');
  try {
    const acked = deferred();
    const ticks: number[] = [];
    let pings = 0;
    socket.on('ping', () => void (pings += 1));
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { type: string; payload?: { data?: { tick?: number } } };
      if (message.type === 'connection_ack') acked.resolve();
      if (message.type === 'next') ticks.push(message.payload!.data!.tick!);
    });
    await new Promise<void>((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await withTimeout(acked.promise, 'connection_ack');
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { tick }' } }));
    await waitFor(() => executor.stats().clients === 1 && feed.active === 1, 'the subscription');
    feed.publish(1);
    await waitFor(() => ticks.length === 1 && delivered.length === 1, 'the event and its delivery count');
    // Pings after the event: each waits for a write that does not come, then goes out alone.
    const before = pings;
    await waitFor(() => pings >= before + 3, 'pings written alone');
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual([1]);
  } finally {
    socket.terminate();
    await dispose();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await executor.dispose();
    await subgraph.close();
  }
});
