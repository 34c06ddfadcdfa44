/**
 * Upstream keep-alive end to end (issue #9): the gateway's websocket to the orders subgraph runs through
 * a loopback TCP proxy that the test freezes, leaving a half-open socket on which nothing arrives and
 * nothing closes. The gateway must notice from the missing pong, drop the socket, reconnect once the
 * proxy forwards again, and resume the upstream subscription from the last cursor it saw.
 */
import { waitFor } from '../support/asyncWait.js';
import { startTcpProxy, type TcpProxy } from '../support/startTcpProxy.js';
import { startTestMesh, type MeshEvent, type TestMesh } from '../support/startTestMesh.js';
import { MINUTE, minuteOf, ORDER_BUCKETS, SEEDED_PRODUCTS, type BucketPayload } from './orderBuckets.js';
import { asJson, record, trackedClient, type TrackedClient } from './meshClients.js';

describe('upstream keep-alive through the gateway', () => {
  let mesh: TestMesh | undefined;
  let proxy: TcpProxy | undefined;
  let tracked: TrackedClient | undefined;
  let minutesAgo = 10;

  afterEach(async () => {
    await tracked?.client.dispose();
    await mesh?.close();
    await proxy?.close();
  });

  /** An order in a minute of its own, so each fact makes exactly one bucket event. */
  const orderPlaced = (productId: string): MeshEvent => {
    minutesAgo += 2;
    return mesh!.event(
      'OrderPlaced',
      { orderId: `ka-${minutesAgo}`, productId, quantity: 1, unitPrice: 10, region: 'eu', channel: 'web', customerEmail: 'ka@example.com' },
      minutesAgo * MINUTE,
    );
  };

  it('should drop a half-open subgraph socket on a missing pong and resume from the last cursor: every event once, in order', async () => {
    mesh = await startTestMesh({
      gatewayConfig: async (ports) => {
        proxy = await startTcpProxy(ports.orders);
        return { subgraphWsUrls: { orders: [proxy.wsUrl] }, upstreamKeepAlive: { intervalMs: 100, timeoutMs: 300 } };
      },
    });
    const busSubscribers = () => mesh!.subgraphs.orders.metrics.openSubscriptions();
    tracked = trackedClient(mesh.gateway.wsUrl, { retryAttempts: 0 });
    const events = record<BucketPayload>(tracked.client, { query: ORDER_BUCKETS });
    await waitFor(() => busSubscribers() === 1, 'the orders subgraph to have the upstream subscription');

    const facts = Array.from({ length: 9 }, (_, k) => orderPlaced(k % 2 === 0 ? 'p1' : 'p2'));
    const received: BucketPayload[] = [];
    for (const fact of facts.slice(0, 3)) await mesh.post('orders', fact);
    for (let k = 0; k < 3; k += 1) received.push(await events.next(`event ${k + 1} before the freeze`));

    // The socket goes silent both ways, and so does every new connection: the facts posted now can only
    // reach the client through a resume from the last cursor it received.
    proxy!.freeze({ newConnections: 'freeze' });
    for (const fact of facts.slice(3, 8)) await mesh.post('orders', fact);
    await waitFor(() => proxy!.frozenClosedByClient >= 1, 'the gateway to drop the silent socket');
    // A reconnect into the black hole is given up at the handshake deadline and retried.
    await waitFor(() => proxy!.frozenClosedByClient >= 2, 'the gateway to give up a connect that got no answer');
    expect(events.events).toHaveLength(3);

    proxy!.thaw();
    while (received.length < 8) received.push(await events.next(`event ${received.length + 1}, replayed after the freeze`, 10_000));
    // A duplicate or a late replay would arrive before this one.
    await mesh.post('orders', facts[8]);
    received.push(await events.next('the live event after the resume'));

    const payloads = asJson<BucketPayload[]>(received);
    expect(payloads.filter((p) => p.errors)).toEqual([]);
    expect(payloads.map((p) => p.data!.orderBucketUpdated.bucket)).toEqual(facts.map((fact) => ({ start: minuteOf(fact), orders: 1 })));
    expect(payloads.map((p) => p.data!.orderBucketUpdated.product)).toEqual(facts.map((fact) => SEEDED_PRODUCTS[fact.data.productId as string]));
    const cursors = payloads.map((p) => Number(p.data!.orderBucketUpdated.cursor));
    expect(cursors).toEqual([...new Set(cursors)].sort((a, b) => a - b));
    // The client never saw any of it: same socket, one subscription, one upstream.
    expect(tracked.sockets).toHaveLength(1);
    expect(events.isEnded).toBe(false);
    expect(mesh.gateway.subscriptions()!.stats()).toMatchObject({ upstreams: 1, clients: 1, connections: 1 });
  });
});
