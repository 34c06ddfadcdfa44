import { nextValue, waitFor } from '../support/asyncWait.js';
import { startTestSubgraph, type TestSubgraph, type TestSubscription } from '../support/startTestSubgraph.js';
import { orderPlaced, shipmentDelivered, shipmentDispatched, stockAdjusted, stockCounted, type ShipmentLine } from './cloudEvents.js';

/** Subscriptions the in-process bus holds right now (its private set: the leak detector). */
const busSubscribers = (subgraph: TestSubgraph) => (subgraph.runtime.bus as unknown as { subscribers: Set<unknown> }).subscribers.size;

/** Waits until the subgraph holds `count` bus subscriptions, i.e. the websocket subscribes have arrived. */
const subscribed = (subgraph: TestSubgraph, count = 1) => waitFor(() => busSubscribers(subgraph) === count, `${count} bus subscription(s)`);

/** The payload of the next event; fails on GraphQL errors. */
async function nextEvent<T = any>(events: TestSubscription, what: string): Promise<T> {
  const result = await nextValue(events, what);
  expect(result.errors).toBeUndefined();
  return Object.values(result.data as Record<string, T>)[0];
}

async function post(subgraph: TestSubgraph, events: unknown) {
  const { status, body } = await subgraph.postEvents(events);
  expect([status, body.rejected]).toEqual([200, 0]);
}

describe('orders orderBucketUpdated', () => {
  const ON_BUCKET = /* GraphQL */ `
    subscription OnBucket($granularity: Granularity!, $region: String, $from: String) {
      orderBucketUpdated(granularity: $granularity, region: $region, from: $from) {
        cursor
        granularity
        region
        revision
        product {
          id
        }
        bucket {
          start
          end
          orders
          cancellations
          units
          revenue
          averageOrderValue
        }
      }
    }
  `;
  let orders: TestSubgraph;
  beforeEach(async () => {
    orders = await startTestSubgraph('orders');
  });
  afterEach(() => orders?.close());

  it('should deliver the minute bucket a posted fact changed, with increasing cursors', async () => {
    const events = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE' });
    await subscribed(orders);

    await post(orders, orderPlaced('2025-06-01T10:15:30Z', { productId: 'p7', quantity: 2, unitPrice: 10 }));
    const first = await nextEvent(events, 'the first bucket update');
    await post(orders, orderPlaced('2025-06-01T10:15:45Z', { productId: 'p7', quantity: 3, unitPrice: 10 }));
    const second = await nextEvent(events, 'the second bucket update');

    const minute = { start: '2025-06-01T10:15:00.000Z', end: '2025-06-01T10:16:00.000Z' };
    expect(first).toEqual({
      cursor: expect.any(String),
      granularity: 'MINUTE',
      region: null,
      revision: false,
      product: { id: 'p7' },
      bucket: { ...minute, orders: 1, cancellations: 0, units: 2, revenue: 20, averageOrderValue: 20 },
    });
    expect(second).toMatchObject({ product: { id: 'p7' }, bucket: { ...minute, orders: 2, units: 5, revenue: 50, averageOrderValue: 25 } });
    expect(Number(second.cursor)).toBeGreaterThan(Number(first.cursor));
  });

  it('should deliver only the narrowed region, with that region’s values', async () => {
    await post(orders, orderPlaced('2025-06-01T10:15:10Z', { productId: 'p1', region: 'us', quantity: 5 }));
    const events = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE', region: 'eu' });
    await subscribed(orders);

    await post(orders, orderPlaced('2025-06-01T10:15:15Z', { productId: 'p2', region: 'us' }));
    await post(orders, orderPlaced('2025-06-01T10:15:20Z', { productId: 'p1', region: 'eu', quantity: 2, unitPrice: 10 }));

    expect(await nextEvent(events, 'the eu bucket update')).toMatchObject({
      region: 'eu',
      product: { id: 'p1' },
      bucket: { start: '2025-06-01T10:15:00.000Z', orders: 1, units: 2, revenue: 20 },
    });
  });

  it('should deliver the whole hour bucket at HOUR granularity', async () => {
    await post(orders, orderPlaced('2025-06-01T10:05:00Z', { productId: 'p1', quantity: 1, unitPrice: 4 }));
    const events = orders.subscribe(ON_BUCKET, { granularity: 'HOUR' });
    await subscribed(orders);

    await post(orders, orderPlaced('2025-06-01T10:40:00Z', { productId: 'p1', quantity: 3, unitPrice: 4 }));

    expect(await nextEvent(events, 'the hour bucket update')).toMatchObject({
      granularity: 'HOUR',
      product: { id: 'p1' },
      bucket: { start: '2025-06-01T10:00:00.000Z', end: '2025-06-01T11:00:00.000Z', orders: 2, units: 4, revenue: 16, averageOrderValue: 8 },
    });
  });

  it('should replay what was published after a from cursor, then go on live', async () => {
    const live = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE' });
    await subscribed(orders);
    await post(orders, orderPlaced('2025-06-01T10:01:00Z', { productId: 'p1' }));
    const first = await nextEvent(live, 'event 1');
    await post(orders, orderPlaced('2025-06-01T10:02:00Z', { productId: 'p2' }));
    await post(orders, orderPlaced('2025-06-01T10:03:00Z', { productId: 'p3' }));
    const missed = [await nextEvent(live, 'event 2'), await nextEvent(live, 'event 3')];

    const resumed = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE', from: first.cursor });
    const replayed = [await nextEvent(resumed, 'replayed event 2'), await nextEvent(resumed, 'replayed event 3')];
    await post(orders, orderPlaced('2025-06-01T10:04:00Z', { productId: 'p4' }));
    const next = await nextEvent(resumed, 'the live event after the replay');

    expect(replayed.map((e) => [e.cursor, e.product.id, e.bucket.start])).toEqual(missed.map((e) => [e.cursor, e.product.id, e.bucket.start]));
    expect(replayed.map((e) => e.product.id)).toEqual(['p2', 'p3']);
    expect(next.product.id).toBe('p4');
    expect(Number(next.cursor)).toBeGreaterThan(Number(replayed[1].cursor));
  });

  it('should replay what was published since a from timestamp (a subscriber without a cursor), then go on live', async () => {
    const live = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE' });
    await subscribed(orders);
    await post(orders, orderPlaced('2025-06-01T10:01:00Z', { productId: 'p1' }));
    await nextEvent(live, 'the event before the instant');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = new Date().toISOString();
    await post(orders, orderPlaced('2025-06-01T10:02:00Z', { productId: 'p2' }));
    const missed = await nextEvent(live, 'the event after the instant');

    const resumed = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE', from: since });
    const replayed = await nextEvent(resumed, 'the replayed event');
    await post(orders, orderPlaced('2025-06-01T10:03:00Z', { productId: 'p3' }));

    expect([replayed.cursor, replayed.product.id]).toEqual([missed.cursor, 'p2']);
    expect((await nextEvent(resumed, 'the live event')).product.id).toBe('p3');
  });

  it('should refuse a from timestamp before the bus began with CURSOR_UNAVAILABLE (events of an earlier process are gone)', async () => {
    const events = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE', from: '2020-01-01T00:00:00Z' });

    const result = await nextValue(events, 'the refusal');

    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['CURSOR_UNAVAILABLE']);
    expect(busSubscribers(orders)).toBe(0);
  });

  it('should compute a replayed backlog with fewer store reads than events, each with its own bucket', async () => {
    const live = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE' });
    await subscribed(orders);
    await post(orders, orderPlaced('2025-06-01T09:00:00Z', { productId: 'p9' }));
    const first = await nextEvent(live, 'the event before the backlog');
    await post(orders, [
      orderPlaced('2025-06-01T10:01:10Z', { productId: 'p1', quantity: 1 }),
      orderPlaced('2025-06-01T10:01:20Z', { productId: 'p2', quantity: 2 }),
      orderPlaced('2025-06-01T10:02:05Z', { productId: 'p1', quantity: 4 }),
      // Far from the others: read with a query of its own.
      orderPlaced('2025-06-03T00:00:00Z', { productId: 'p2', quantity: 5 }),
    ]);
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await nextEvent(live, `live event ${i + 1}`));
    expect(seen.map((e) => [e.product.id, e.bucket.start, e.bucket.units]).sort()).toEqual([
      ['p1', '2025-06-01T10:01:00.000Z', 1],
      ['p1', '2025-06-01T10:02:00.000Z', 4],
      ['p2', '2025-06-01T10:01:00.000Z', 2],
      ['p2', '2025-06-03T00:00:00.000Z', 5],
    ]);

    const reads = jest.spyOn(orders.runtime, 'history');
    const resumed = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE', from: first.cursor });
    const replayed = [];
    for (let i = 0; i < 4; i++) replayed.push(await nextEvent(resumed, `replayed event ${i + 1}`));
    expect(replayed).toEqual(seen);
    expect(reads.mock.calls.length).toBeLessThan(4);
  });

  it('should remove the bus subscription when the client unsubscribes, and keep serving other clients', async () => {
    const first = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE' });
    await subscribed(orders);
    await post(orders, orderPlaced('2025-06-01T10:01:00Z', { productId: 'p1' }));
    expect((await nextEvent(first, 'the first client’s event')).product.id).toBe('p1');

    await first.return?.();
    await subscribed(orders, 0);

    const second = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE' });
    await subscribed(orders, 1);
    await post(orders, orderPlaced('2025-06-01T10:02:00Z', { productId: 'p2' }));
    expect((await nextEvent(second, 'the second client’s event')).product.id).toBe('p2');
  });

  it('should refuse a from cursor the bus never issued with CURSOR_UNAVAILABLE', async () => {
    const events = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE', from: '999' });

    const result = await nextValue(events, 'the refusal');

    expect(result.errors).toHaveLength(1);
    expect(result.errors![0].message).toMatch(/cursor 999 cannot be resumed/);
    expect(result.errors![0].extensions?.code).toBe('CURSOR_UNAVAILABLE');
    expect(busSubscribers(orders)).toBe(0);
  });

  it('should remove the bus subscription when the client closes its socket', async () => {
    const events = orders.subscribe(ON_BUCKET, { granularity: 'MINUTE' });
    await subscribed(orders);

    await events.client.dispose();

    await subscribed(orders, 0);
  });
});

describe('inventory stockChanged and stockLow', () => {
  const FIELDS = 'cursor product { id } onHand previousOnHand updatedAt';
  let inventory: TestSubgraph;
  beforeEach(async () => {
    inventory = await startTestSubgraph('inventory');
  });
  afterEach(() => inventory?.close());

  it('should deliver every stock change of the product asked for, and no other product’s', async () => {
    const events = inventory.subscribe(`subscription($id: ID) { stockChanged(productId: $id) { ${FIELDS} } }`, { id: 'p1' });
    await subscribed(inventory);

    await post(inventory, stockAdjusted('2025-06-01T10:00:00Z', 'p2', 5));
    await post(inventory, stockAdjusted('2025-06-01T10:01:00Z', 'p1', 7));
    await post(inventory, stockAdjusted('2025-06-01T10:02:00Z', 'p1', -2));

    expect(await nextEvent(events, 'the first p1 change')).toEqual({
      cursor: expect.any(String),
      product: { id: 'p1' },
      onHand: 7,
      previousOnHand: null,
      updatedAt: '2025-06-01T10:01:00.000Z',
    });
    expect(await nextEvent(events, 'the second p1 change')).toMatchObject({
      product: { id: 'p1' },
      onHand: 5,
      previousOnHand: 7,
      updatedAt: '2025-06-01T10:02:00.000Z',
    });
  });

  it('should deliver stockLow only when stock crosses below the threshold', async () => {
    const events = inventory.subscribe(`subscription { stockLow(threshold: 5) { ${FIELDS} } }`);
    await subscribed(inventory);

    // 10 → 7 → 3 (crossing) → 2 (still low) → 12 → 2 (crossing); one POST each, so one change each.
    await post(inventory, stockCounted('2025-06-01T10:00:00Z', 'p1', 10));
    for (const [minute, delta] of [
      [1, -3],
      [2, -4],
      [3, -1],
      [4, 10],
      [5, -10],
    ]) {
      await post(inventory, stockAdjusted(`2025-06-01T10:0${minute}:00Z`, 'p1', delta));
    }

    expect(await nextEvent(events, 'the first crossing')).toMatchObject({ product: { id: 'p1' }, onHand: 3, previousOnHand: 7 });
    expect(await nextEvent(events, 'the second crossing')).toMatchObject({
      product: { id: 'p1' },
      onHand: 2,
      previousOnHand: 12,
      updatedAt: '2025-06-01T10:05:00.000Z',
    });
  });
});

describe('shipping shipmentUpdated', () => {
  let shipping: TestSubgraph;
  beforeEach(async () => {
    shipping = await startTestSubgraph('shipping');
  });
  afterEach(() => shipping?.close());

  it('should deliver the dispatch and the delivery of the order asked for', async () => {
    const events = shipping.subscribe(
      `subscription($orderId: ID) { shipmentUpdated(orderId: $orderId) { cursor order { id } shipment { id status carrier dispatchedAt deliveredAt promisedAt onTime } } }`,
      { orderId: 'o1' },
    );
    await subscribed(shipping);
    const shipment = (orderId: string): ShipmentLine => ({
      shipmentId: `s-${orderId}`,
      orderId,
      productId: 'p1',
      carrier: 'DHL',
      region: 'eu',
      promisedAt: '2025-06-03T18:00:00Z',
    });

    await post(shipping, shipmentDispatched('2025-06-01T09:00:00Z', shipment('o2')));
    await post(shipping, shipmentDispatched('2025-06-01T10:00:00Z', shipment('o1')));
    await post(shipping, shipmentDelivered('2025-06-02T15:00:00Z', { ...shipment('o1'), dispatchedAt: '2025-06-01T10:00:00Z' }));

    const dispatched = await nextEvent(events, 'the dispatch');
    const delivered = await nextEvent(events, 'the delivery');
    expect(dispatched).toEqual({
      cursor: expect.any(String),
      order: { id: 'o1' },
      shipment: {
        id: 's-o1',
        status: 'DISPATCHED',
        carrier: 'DHL',
        dispatchedAt: '2025-06-01T10:00:00.000Z',
        deliveredAt: null,
        promisedAt: '2025-06-03T18:00:00.000Z',
        onTime: null,
      },
    });
    expect(delivered).toMatchObject({ order: { id: 'o1' }, shipment: { status: 'DELIVERED', deliveredAt: '2025-06-02T15:00:00.000Z', onTime: true } });
    expect(Number(delivered.cursor)).toBeGreaterThan(Number(dispatched.cursor));
  });
});
