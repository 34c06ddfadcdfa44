/**
 * Fan-out through the websocket adapter (real gateway websocket server, real subgraphs, loopback):
 * clients asking the same thing under different spellings form one group (one upstream subscription,
 * one entity fetch per event for all of them), and a client that stops reading is cut off at its bound
 * with 1013 while a fast one gets every event.
 */
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import type { Client } from 'graphql-ws';
import {
  createSubscriptionExecutor,
  SLOW_CLIENT_CLOSE_CODE,
  SLOW_CLIENT_CLOSE_REASON,
  type SubscriptionExecutor,
} from '../../../gateway/subscriptions/index.js';
import { waitFor, withTimeout } from '../../support/asyncWait.js';
import { createEventFeed } from '../../support/eventFeed.js';
import { startFanoutGateway, type FanoutGateway } from '../../support/startFanoutGateway.js';
import { startProductMesh, type ProductMesh } from '../../support/productMeshSubgraphs.js';
import { startSubgraphServer, type SubgraphServer } from '../../support/startSubgraphServer.js';

/** Collects `count` events of a graphql-ws subscription. */
function collect(client: Client, query: string, variables: Record<string, unknown>, count: number) {
  const events: unknown[] = [];
  const iterator = client.iterate({ query, variables });
  const done = (async () => {
    for await (const event of iterator) {
      events.push(event);
      if (events.length === count) break;
    }
    return events;
  })();
  return { events, done };
}

describe('subscription groups over websockets', () => {
  let mesh: ProductMesh;
  let executor: SubscriptionExecutor;
  let gateway: FanoutGateway;
  beforeEach(async () => {
    mesh = await startProductMesh();
    executor = createSubscriptionExecutor({
      supergraphSdl: mesh.supergraphSdl,
      subgraphs: {
        products: { url: mesh.servers.products.url },
        inventory: { url: mesh.servers.inventory.url },
        prices: { url: mesh.servers.prices.url, wsUrl: mesh.servers.prices.wsUrl },
      },
    });
    gateway = await startFanoutGateway(mesh.supergraphSdl, executor);
  });
  afterEach(async () => {
    await gateway.close();
    await executor.dispose();
    await mesh.close();
  });

  it('should share one upstream and one entity fetch per event between clients that differ in name, spacing, field order and variable order', async () => {
    const first = collect(
      gateway.client(),
      'subscription Dashboard($id: ID, $show: Boolean = true) { priceChanged(id: $id) { price product { name stock @include(if: $show) } } }',
      { id: 'p1' },
      3,
    );
    const second = collect(
      gateway.client(),
      'subscription   Other( $show: Boolean = true, $id: ID ) {\n  priceChanged(id: $id) { product { stock @include(if: $show) name } price }\n}',
      { id: 'p1', ignored: true },
      3,
    );
    await waitFor(() => executor.stats().clients === 2 && mesh.feed.active === 1, 'both clients on one upstream');
    expect(executor.stats()).toMatchObject({ groups: 1, upstreams: 1, connections: 1 });

    // One event at a time: events in flight together share one entity fetch (coalesceEntityFetches),
    // and this test counts the fetches per event.
    for (const price of [1, 2, 3]) {
      mesh.feed.publish({ productId: 'p1', price });
      await waitFor(() => mesh.inventoryLog.batches.length >= price, `the entity fetch of event ${price}`);
    }
    const expected = [1, 2, 3].map((price) => ({ data: { priceChanged: { price, product: { name: 'Kettle', stock: 20 } } } }));
    expect(await withTimeout(first.done, 'the first client events')).toEqual(expected);
    expect(await withTimeout(second.done, 'the second client events')).toEqual(expected);
    // Each client gets the keys in the order it selected them, though the group resolved them once.
    expect(first.events.map((event) => JSON.stringify(event))).toEqual(
      [1, 2, 3].map((price) => `{"data":{"priceChanged":{"price":${price},"product":{"name":"Kettle","stock":20}}}}`),
    );
    expect(second.events.map((event) => JSON.stringify(event))).toEqual(
      [1, 2, 3].map((price) => `{"data":{"priceChanged":{"product":{"stock":20,"name":"Kettle"},"price":${price}}}}`),
    );
    // One rest-of-plan execution per event for the whole group: inventory saw three batches, not six.
    expect(mesh.inventoryLog.batches).toEqual([['p1'], ['p1'], ['p1']]);
    expect(mesh.feed.subscribeCalls).toEqual([{ id: 'p1' }]);
  });

  it('should keep clients with different variables in different groups', async () => {
    const query = 'subscription ($id: ID) { priceChanged(id: $id) { price } }';
    const p1 = collect(gateway.client(), query, { id: 'p1' }, 1);
    const p2 = collect(gateway.client(), query, { id: 'p2' }, 1);
    await waitFor(() => mesh.feed.active === 2, 'two upstream subscriptions');
    expect(executor.stats()).toMatchObject({ groups: 2, upstreams: 2, clients: 2 });
    mesh.feed.publish({ productId: 'p2', price: 2 });
    mesh.feed.publish({ productId: 'p1', price: 1 });
    expect(await withTimeout(p1.done, 'p1')).toEqual([{ data: { priceChanged: { price: 1 } } }]);
    expect(await withTimeout(p2.done, 'p2')).toEqual([{ data: { priceChanged: { price: 2 } } }]);
  });
});

describe('a slow client', () => {
  const CHUNK = 'x'.repeat(256 * 1024);
  const EVENTS = 80;
  let server: SubgraphServer;
  let executor: SubscriptionExecutor;
  let gateway: FanoutGateway;
  let supergraphSdl: string;
  const feed = createEventFeed<number>();

  beforeEach(async () => {
    const typeDefs = parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
      type Chunk { seq: Int data: String }
      type Query { ping: Boolean }
      type Subscription { chunks: Chunk }
    `);
    const schema = buildSubgraphSchema({
      typeDefs,
      resolvers: {
        Query: { ping: () => true },
        Subscription: { chunks: { subscribe: () => feed.subscribe(), resolve: (seq: number) => ({ seq, data: CHUNK }) } },
      },
    });
    server = await startSubgraphServer(schema);
    const composed = composeServices([{ name: 'bulk', url: server.url, typeDefs }]);
    if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('; '));
    ({ supergraphSdl } = composed);
    executor = createSubscriptionExecutor({ supergraphSdl, subgraphs: { bulk: { url: server.url } } });
  });
  /** Bounds well under what the loopback kernel buffers hold, so only a client that stopped reading hits them. */
  const start = async (cutOffGraceMs: number) => {
    // Keep-alive off: these tests are about the outbound bound (the last one is about the keep-alive).
    gateway = await startFanoutGateway(supergraphSdl, executor, { outbound: { maxBytes: 2 * 1024 * 1024, maxMessages: 1000, cutOffGraceMs }, keepAliveMs: 0 });
  };
  afterEach(async () => {
    await gateway.close();
    await executor.dispose();
    await server.close();
  });

  it('should be cut off at its bound with 1013 and a resume hint while a fast client gets every event', async () => {
    // A grace long enough for the client to read again: it gets its backlog, then the close frame.
    await start(60_000);
    const query = 'subscription { chunks { seq data } }';
    const slow = await gateway.rawClient(query);
    const fast = await gateway.rawClient(query);
    await waitFor(() => executor.stats().clients === 2 && feed.active === 1, 'both clients in one group');
    slow.pause();

    // Paced by the fast client (it runs in this process, so a burst would also stall it): it keeps up.
    for (let seq = 1; seq <= EVENTS; seq++) {
      feed.publish(seq);
      await waitFor(() => fast.payloads.length === seq, `event ${seq} at the fast client`);
    }
    expect(gateway.cutOffs).toHaveLength(1);
    expect(gateway.cutOffs[0].pendingBytes).toBeGreaterThan(0);
    expect(fast.payloads.map((p) => (p as { data: { chunks: { seq: number } } }).data.chunks.seq)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    // The slow client left its group; the fast one is still subscribed.
    await waitFor(() => executor.stats().clients === 1, 'the slow client to leave its group');

    slow.resume();
    expect(await withTimeout(slow.closed, 'the slow client close', 20_000)).toEqual({ code: SLOW_CLIENT_CLOSE_CODE, reason: SLOW_CLIENT_CLOSE_REASON });
    expect(SLOW_CLIENT_CLOSE_CODE).toBe(1013);
    // What it did receive is a gap-free prefix: it resumes from the last cursor it has.
    const received = slow.payloads.map((p) => (p as { data: { chunks: { seq: number } } }).data.chunks.seq);
    expect(received).toEqual(Array.from({ length: received.length }, (_, i) => i + 1));
    expect(received.length).toBeLessThan(EVENTS);
  }, 60_000);

  it('should release the socket of a cut-off client that does not read again within the grace', async () => {
    await start(200);
    const query = 'subscription { chunks { seq data } }';
    const slow = await gateway.rawClient(query);
    const fast = await gateway.rawClient(query);
    await waitFor(() => executor.stats().clients === 2 && feed.active === 1, 'both clients in one group');
    expect(gateway.connections).toBe(2);
    slow.pause();
    let seq = 0;
    while (gateway.cutOffs.length === 0) {
      feed.publish(++seq);
      await waitFor(() => fast.payloads.length === seq, `event ${seq} at the fast client`);
    }
    // Without the grace, ws holds the socket (and its backlog) until its 30 s close timeout.
    await waitFor(() => gateway.connections === 1, 'the slow client socket to be destroyed', 5_000);
    feed.publish(++seq);
    await waitFor(() => fast.payloads.length === seq, 'the fast client to keep receiving');
    slow.resume();
    // It never got the close frame: it sees an abnormal closure and resumes from the prefix it has.
    expect((await withTimeout(slow.closed, 'the slow client close')).code).toBe(1006);
    const received = slow.payloads.map((p) => (p as { data: { chunks: { seq: number } } }).data.chunks.seq);
    expect(received).toEqual(Array.from({ length: received.length }, (_, i) => i + 1));
  }, 60_000);

  it('should cut off a client that stops answering pings behind a backlog with 1013, not terminate it', async () => {
    // Bounds it never reaches: the keep-alive finds it first. Its pong would wait behind its backlog, so it
    // gets the slow-client close (and can resume), not the abnormal closure of a dead connection.
    // The verdict on an unanswered ping comes one to two intervals after it was sent; the backlog has to be
    // there by then (without one the client is terminated, as a dead one), so it is built in one burst,
    // which takes well under a second even on a loaded machine, and the interval is several seconds.
    const keepAliveMs = 3_000;
    gateway = await startFanoutGateway(supergraphSdl, executor, {
      outbound: { maxBytes: 512 * 1024 * 1024, maxMessages: 100_000, cutOffGraceMs: 60_000 },
      keepAliveMs,
    });
    const query = 'subscription { chunks { seq data } }';
    const slow = await gateway.rawClient(query);
    const fast = await gateway.rawClient(query);
    await waitFor(() => executor.stats().clients === 2 && feed.active === 1, 'both clients in one group');
    slow.pause();
    // 16 MiB: several times what the loopback kernel buffers take for a reader that stopped (they do not
    // grow for it), so a backlog waits at the gateway.
    const BURST = 64;
    for (let seq = 1; seq <= BURST; seq++) feed.publish(seq);
    await waitFor(() => fast.payloads.length === BURST, 'the burst at the fast client', 20_000);
    expect(gateway.backlogBytes()).toBeGreaterThan(0);
    await waitFor(() => gateway.cutOffs.length === 1, 'the keep-alive to cut the slow client off', 3 * keepAliveMs);
    expect(gateway.cutOffs[0].pendingBytes).toBeGreaterThan(0);
    await waitFor(() => executor.stats().clients === 1, 'the slow client to leave its group');
    let seq = BURST;
    feed.publish(++seq);
    await waitFor(() => fast.payloads.length === seq, 'the fast client to keep receiving');

    slow.resume();
    expect(await withTimeout(slow.closed, 'the slow client close', 20_000)).toEqual({ code: SLOW_CLIENT_CLOSE_CODE, reason: SLOW_CLIENT_CLOSE_REASON });
    const received = slow.payloads.map((p) => (p as { data: { chunks: { seq: number } } }).data.chunks.seq);
    expect(received).toEqual(Array.from({ length: received.length }, (_, i) => i + 1));
  }, 60_000);
});
