/**
 * Every event of every demo subscription is resolved with fresh data (issue #9, item 1): fields nested
 * under the event that the owning subgraph resolves itself (`product.stock`, `product.sales`,
 * `order.shipment`) must read the store as of that event, not as of the first event of the subscription.
 * Through the gateway, on loopback, each test on keys of its own so the others' facts do not interfere.
 */
import { waitFor } from '../support/asyncWait.js';
import { startTestMesh, type TestMesh } from '../support/startTestMesh.js';
import { asJson, record, trackedClient, type TrackedClient } from './meshClients.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('fresh data in every subscription event', () => {
  let mesh: TestMesh;
  let clients: TrackedClient[] = [];
  let unique = 0;
  const suffix = () => `${process.pid}-${++unique}`;

  beforeAll(async () => {
    mesh = await startTestMesh();
  });
  afterEach(async () => {
    for (const { client } of clients) await client.dispose();
    clients = [];
    await waitFor(() => mesh.gateway.subscriptions()!.stats().upstreams === 0, 'no upstream subscriptions left');
  });
  afterAll(() => mesh?.close());

  const subscribe = (query: string) => {
    const tracked = trackedClient(mesh.gateway.wsUrl);
    clients.push(tracked);
    return record(tracked.client, { query });
  };
  const busSubscribers = (domain: 'orders' | 'inventory' | 'shipping') => mesh.subgraphs[domain].metrics.openSubscriptions();
  const next = async (events: ReturnType<typeof subscribe>, what: string) => asJson(await events.next(what));

  it('should resolve stockChanged.product.stock as of each event', async () => {
    const productId = `fresh-${suffix()}`;
    const events = subscribe(`subscription { stockChanged(productId: "${productId}") { onHand product { stock { onHand } } } }`);
    await waitFor(() => busSubscribers('inventory') === 1, 'the inventory upstream subscription');

    const seen = [];
    await mesh.post('inventory', mesh.event('StockCounted', { productId, warehouse: 'w1', onHand: 12 }, MINUTE));
    seen.push(await next(events, 'the first stock event'));
    await mesh.post('inventory', mesh.event('StockAdjusted', { productId, warehouse: 'w1', delta: -2, reason: 'sold' }, MINUTE));
    seen.push(await next(events, 'the second stock event'));
    await mesh.post('inventory', mesh.event('StockCounted', { productId, warehouse: 'w1', onHand: 15 }, MINUTE));
    seen.push(await next(events, 'the third stock event'));

    expect(seen).toEqual(
      [12, 10, 15].map((onHand) => ({
        data: { stockChanged: { onHand, product: { stock: { onHand } } } },
      })),
    );
  });

  it('should resolve stockLow.product.stock as of each crossing event', async () => {
    const productId = `fresh-${suffix()}`;
    const events = subscribe(`subscription { stockLow(threshold: 5) { onHand product { stock { onHand } } } }`);
    await waitFor(() => busSubscribers('inventory') === 1, 'the inventory upstream subscription');

    const seen = [];
    await mesh.post('inventory', mesh.event('StockCounted', { productId, warehouse: 'w1', onHand: 10 }, MINUTE)); // not low: no event
    await mesh.post('inventory', mesh.event('StockAdjusted', { productId, warehouse: 'w1', delta: -7, reason: 'sold' }, MINUTE)); // 3: crosses
    seen.push(await next(events, 'the first crossing'));
    await mesh.post('inventory', mesh.event('StockCounted', { productId, warehouse: 'w1', onHand: 9 }, MINUTE)); // back above: no event
    await mesh.post('inventory', mesh.event('StockCounted', { productId, warehouse: 'w1', onHand: 1 }, MINUTE)); // 1: crosses again
    seen.push(await next(events, 'the second crossing'));

    expect(seen).toEqual(
      [3, 1].map((onHand) => ({
        data: { stockLow: { onHand, product: { stock: { onHand } } } },
      })),
    );
    expect(events.events).toHaveLength(2);
  });

  it('should resolve orderBucketUpdated.product.sales as of each event', async () => {
    const productId = `fresh-${suffix()}`;
    const region = `r${suffix()}`;
    const range = {
      from: new Date(Date.now() - 2 * DAY).toISOString(),
      to: new Date(Date.now() + DAY).toISOString(),
    };
    const events = subscribe(
      `subscription { orderBucketUpdated(granularity: HOUR, region: "${region}") { bucket { orders } product { sales(range: { from: "${range.from}", to: "${range.to}" }) { total { orders units } } } } }`,
    );
    await waitFor(() => busSubscribers('orders') === 1, 'the orders upstream subscription');

    const seen = [];
    for (const [i, quantity] of [2, 3, 4].entries()) {
      await mesh.post(
        'orders',
        mesh.event(
          'OrderPlaced',
          {
            orderId: `fresh-o-${suffix()}`,
            productId,
            quantity,
            unitPrice: 10,
            region,
            channel: 'web',
            customerEmail: 'fresh@example.com',
          },
          MINUTE,
        ),
      );
      seen.push(await next(events, `bucket event ${i + 1}`));
    }

    expect(seen.map((e) => e.data.orderBucketUpdated.product.sales.total)).toEqual([
      { orders: 1, units: 2 },
      { orders: 2, units: 5 },
      { orders: 3, units: 9 },
    ]);
    expect(seen.map((e) => e.data.orderBucketUpdated.bucket.orders)).toEqual([1, 2, 3]);
  });

  it('should resolve shipmentUpdated.order.shipment as of each event', async () => {
    const orderId = `fresh-o-${suffix()}`;
    const events = subscribe(`subscription { shipmentUpdated(orderId: "${orderId}") { shipment { status } order { shipment { status } } } }`);
    await waitFor(() => busSubscribers('shipping') === 1, 'the shipping upstream subscription');

    const line = {
      shipmentId: `fresh-s-${suffix()}`,
      orderId,
      productId: 'p1',
      carrier: 'dhl',
      region: 'eu',
      promisedAt: new Date(Date.now() + DAY).toISOString(),
    };
    const seen = [];
    await mesh.post('shipping', mesh.event('ShipmentDispatched', line, 2 * HOUR));
    seen.push(await next(events, 'the dispatch event'));
    await mesh.post(
      'shipping',
      mesh.event(
        'ShipmentDelivered',
        {
          ...line,
          dispatchedAt: new Date(Date.now() - 2 * HOUR).toISOString(),
        },
        MINUTE,
      ),
    );
    seen.push(await next(events, 'the delivery event'));

    expect(seen).toEqual(
      ['DISPATCHED', 'DELIVERED'].map((status) => ({
        data: {
          shipmentUpdated: {
            shipment: { status },
            order: { shipment: { status } },
          },
        },
      })),
    );
  });
});
