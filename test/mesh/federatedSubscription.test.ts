/**
 * Federated subscriptions end to end: graphql-ws clients on the gateway, the orders subgraph owning the
 * subscription, catalog and inventory filling the product of every event.
 */
import { waitFor } from '../support/asyncWait.js';
import { startTestMesh, type MeshEvent, type TestMesh } from '../support/startTestMesh.js';
import { asJson, record, trackedClient, type TrackedClient } from './meshClients.js';

const BUCKETS = `subscription { orderBucketUpdated(granularity: MINUTE) { bucket { start orders } product { name stock { onHand } } } }`;
const MINUTE = 60_000;

describe('federated subscriptions through the gateway', () => {
  let mesh: TestMesh;
  let clients: TrackedClient[] = [];
  let minutesAgo = 10;

  beforeAll(async () => {
    mesh = await startTestMesh();
  });
  afterEach(async () => {
    await Promise.all(clients.map(async ({ client }) => client.dispose()));
    clients = [];
    await waitFor(() => mesh.gateway.subscriptions()!.stats().upstreams === 0, 'no upstream subscriptions left');
    await waitFor(() => busSubscribers('orders') + busSubscribers('inventory') + busSubscribers('shipping') === 0, 'no bus subscribers left');
  });
  afterAll(() => mesh?.close());

  const connect = (options?: Parameters<typeof trackedClient>[1]) => {
    const tracked = trackedClient(mesh.gateway.wsUrl, options);
    clients.push(tracked);
    return tracked;
  };
  /** The in-process bus keeps its subscribers private; their count is what leaks would show in. */
  const busSubscribers = (domain: 'orders' | 'inventory' | 'shipping') => mesh.subgraphs[domain].metrics.openSubscriptions();
  const stats = () => mesh.gateway.subscriptions()!.stats();

  /** An order in a minute of its own (two minutes after the previous one), so its bucket counts 1 order. */
  const orderPlaced = (productId: string): MeshEvent => {
    minutesAgo += 2;
    return mesh.event(
      'OrderPlaced',
      { orderId: `live-${minutesAgo}`, productId, quantity: 1, unitPrice: 10, region: 'eu', channel: 'web', customerEmail: 'live@example.com' },
      minutesAgo * MINUTE,
    );
  };
  const minuteOf = (event: MeshEvent) => new Date(Math.floor(Date.parse(event.time) / MINUTE) * MINUTE).toISOString();
  const bucketEvent = (event: MeshEvent, product: unknown) => ({
    data: { orderBucketUpdated: { bucket: { start: minuteOf(event), orders: 1 }, product } },
  });

  it('should deliver an orders event with the product filled from catalog and inventory', async () => {
    const { client } = connect();
    const events = record(client, { query: BUCKETS });
    await waitFor(() => busSubscribers('orders') === 1, 'the orders subgraph to have the upstream subscription');

    const order = orderPlaced('p1');
    await mesh.post('orders', order);

    expect(asJson(await events.next('the bucket event'))).toEqual(bucketEvent(order, { name: 'Kettle', stock: { onHand: 13 } }));
  });

  it('should share one upstream subscription among identical client subscriptions', async () => {
    const subscriptions = Array.from({ length: 5 }, () => record(connect().client, { query: BUCKETS }));
    await waitFor(() => stats().clients === 5, 'five client subscriptions');
    await waitFor(() => busSubscribers('orders') === 1, 'the orders subgraph to have the upstream subscription');

    expect(stats()).toMatchObject({ upstreams: 1, clients: 5, connections: 1 });
    const order = orderPlaced('p2');
    await mesh.post('orders', order);
    for (const [i, events] of subscriptions.entries()) {
      expect(asJson(await events.next(`the event on client ${i}`))).toEqual(bucketEvent(order, { name: 'Toaster', stock: { onHand: 7 } }));
    }
  });

  it('should end the upstream subscription when the client unsubscribes', async () => {
    const { client } = connect();
    const events = record(client, { query: BUCKETS });
    await waitFor(() => busSubscribers('orders') === 1, 'the upstream subscription');

    events.unsubscribe();

    await waitFor(() => stats().upstreams === 0 && stats().clients === 0, 'the gateway to drop the upstream');
    await waitFor(() => busSubscribers('orders') === 0, 'the orders subgraph to drop its bus subscriber');
  });

  it('should end the upstream subscription when the client socket drops', async () => {
    const { client, sockets } = connect({ retryAttempts: 0 });
    const events = record(client, { query: BUCKETS });
    await waitFor(() => busSubscribers('orders') === 1, 'the upstream subscription');

    sockets[0].terminate();

    await waitFor(() => stats().upstreams === 0 && stats().clients === 0, 'the gateway to drop the upstream');
    await waitFor(() => busSubscribers('orders') === 0, 'the orders subgraph to drop its bus subscriber');
    await events.ended;
  });

  it('should deliver the event with errors at product.stock while inventory is down, then complete events again', async () => {
    const { client, sockets } = connect();
    const events = record(client, { query: BUCKETS });
    await waitFor(() => busSubscribers('orders') === 1, 'the upstream subscription');
    await mesh.stop('inventory');

    const whileDown = orderPlaced('p1');
    await mesh.post('orders', whileDown);

    const partial = asJson(await events.next('the event while inventory is down'));
    expect(partial).toEqual({
      ...bucketEvent(whileDown, { name: 'Kettle', stock: null }),
      errors: [
        {
          message: 'Subgraph "inventory" is unreachable.', // the address and ECONNREFUSED go to the log only
          path: ['orderBucketUpdated', 'product', 'stock'],
          extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'inventory' },
        },
      ],
    });
    expect(events.isEnded).toBe(false);
    expect(sockets).toHaveLength(1);
    expect(sockets[0].readyState).toBe(sockets[0].OPEN);

    await mesh.restart('inventory');
    const afterRestart = orderPlaced('p2');
    await mesh.post('orders', afterRestart);

    expect(asJson(await events.next('the event after inventory is back'))).toEqual(bucketEvent(afterRestart, { name: 'Toaster', stock: { onHand: 7 } }));
    expect(sockets).toHaveLength(1);
  });

  it('should serve the inventory and shipping subscriptions with fields from other subgraphs', async () => {
    const { client } = connect();
    const stock = record(client, { query: `subscription { stockChanged(productId: "p3") { onHand previousOnHand product { name } } }` });
    const shipments = record(client, {
      query: `subscription { shipmentUpdated(orderId: "o3") { shipment { status carrier } order { customerEmail product { name } } } }`,
    });
    await waitFor(() => stats().upstreams === 2, 'two upstream subscriptions');
    await waitFor(
      () => busSubscribers('inventory') === 1 && busSubscribers('shipping') === 1,
      'the inventory and shipping subgraphs to have the upstream subscriptions',
    );

    await mesh.post('inventory', mesh.event('StockCounted', { productId: 'p3', warehouse: 'w1', onHand: 4 }, MINUTE));
    await mesh.post(
      'shipping',
      mesh.event(
        'ShipmentDelivered',
        {
          shipmentId: 's3',
          orderId: 'o3',
          productId: 'p2',
          carrier: 'dhl',
          region: 'eu',
          promisedAt: new Date(Date.now() + 86_400_000).toISOString(),
          dispatchedAt: new Date(Date.now() - 22 * 3_600_000).toISOString(),
        },
        MINUTE,
      ),
    );

    expect(asJson(await stock.next('the stock event'))).toEqual({ data: { stockChanged: { onHand: 4, previousOnHand: null, product: { name: 'Lamp' } } } });
    expect(asJson(await shipments.next('the shipment event'))).toEqual({
      data: {
        shipmentUpdated: { shipment: { status: 'DELIVERED', carrier: 'dhl' }, order: { customerEmail: 'carol@example.com', product: { name: 'Toaster' } } },
      },
    });
  });
  // Last: the orders subgraph comes back empty (in-memory store), so later tests would see no orders.
  it('should keep the client subscription across a restart of the orders subgraph', async () => {
    const { client, sockets } = connect();
    const events = record(client, { query: BUCKETS });
    await waitFor(() => busSubscribers('orders') === 1, 'the upstream subscription');
    const before = orderPlaced('p1');
    await mesh.post('orders', before);
    expect(asJson(await events.next('the event before the restart'))).toEqual(bucketEvent(before, { name: 'Kettle', stock: { onHand: 13 } }));

    // The new orders subgraph starts empty: the gateway must re-subscribe on it by itself. Its bus cannot
    // resume from the last cursor the gateway saw, so the client is told events may have been missed.
    await mesh.restart('orders', { reseed: false });
    await waitFor(() => busSubscribers('orders') === 1, 'the gateway to re-subscribe on the new orders subgraph', 10_000);
    const after = orderPlaced('p2');
    await mesh.post('orders', after);

    expect(asJson(await events.next('the notice of missed events'))).toEqual({
      errors: [
        {
          message: expect.stringMatching(
            /^Some events may have been missed: subgraph "orders" could not resume the subscription \(cursor \d+ cannot be resumed: the newest cursor is 0\)/,
          ),
          extensions: { code: 'EVENTS_MISSED', serviceName: 'orders' },
        },
      ],
    });
    expect(asJson(await events.next('the event after the restart'))).toEqual(bucketEvent(after, { name: 'Toaster', stock: { onHand: 7 } }));
    expect(events.isEnded).toBe(false);
    expect(sockets).toHaveLength(1);
    expect(stats()).toMatchObject({ upstreams: 1, clients: 1 });
  });
});
