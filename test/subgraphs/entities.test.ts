import { startTestSubgraph, type TestSubgraph } from '../support/startTestSubgraph.js';
import {
  orderCancelled,
  orderPlaced,
  productListed,
  shipmentDelivered,
  shipmentDispatched,
  stockAdjusted,
  stockCounted,
  type ShipmentLine,
} from './cloudEvents.js';

/** `_entities` of the given representations, as the gateway's entity fetch asks them. */
async function entities(
  subgraph: TestSubgraph,
  representations: object[],
  selection: string,
  variables: Record<string, unknown> = {},
  variableDefinitions = '',
) {
  const { data, errors } = await subgraph.graphql(
    `query Entities($representations: [_Any!]!${variableDefinitions}) { _entities(representations: $representations) { ${selection} } }`,
    {
      representations,
      ...variables,
    },
  );
  expect(errors).toBeUndefined();
  return data._entities as any[];
}

async function post(subgraph: TestSubgraph, events: unknown[]) {
  const { status, body } = await subgraph.postEvents(events);
  expect([status, body.rejected]).toEqual([200, 0]);
}

const products = (ids: string[]) => ids.map((id) => ({ __typename: 'Product', id }));
const ids = (count: number) => Array.from({ length: count }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);

describe('orders entities', () => {
  let orders: TestSubgraph;
  beforeEach(async () => {
    orders = await startTestSubgraph('orders');
  });
  afterEach(() => orders?.close());

  it('should answer Product.sales of ten products with ONE store query and each product’s own totals', async () => {
    // Product pN (N = 1..6) gets N orders of N units at 10 EUR on 2025-05-01, p01 also one cancellation on 2025-05-02.
    const facts = ids(6).flatMap((id, i) =>
      Array.from({ length: i + 1 }, (_, k) => orderPlaced(`2025-05-01T0${k}:00:00Z`, { orderId: `${id}-${k}`, productId: id, quantity: i + 1, unitPrice: 10 })),
    );
    await post(orders, [...facts, orderCancelled('2025-05-02T08:00:00Z', { orderId: 'p01-0', productId: 'p01', quantity: 1, unitPrice: 10 })]);
    const queryBuckets = jest.spyOn(orders.runtime.store, 'queryBuckets');

    const answer = await entities(
      orders,
      products(ids(10)),
      '... on Product { id sales(range: $range, granularity: DAY) { buckets { start orders units revenue } total { orders units revenue } } }',
      { range: { from: '2025-05-01T00:00:00Z', to: '2025-05-03T00:00:00Z' } },
      ', $range: TimeRangeInput!',
    );

    expect(queryBuckets).toHaveBeenCalledTimes(1);
    // Read from the rollup's projection over product_id (declared in ordersProduct.ts), not every region × channel row.
    expect(queryBuckets.mock.calls[0][0]).toMatchObject({ rollup: 'sales__by__product_id', groupBy: ['product_id'], filter: { product_id: ids(10) } });
    const expected = ids(10).map((id, i) => {
      const n = i < 6 ? i + 1 : 0;
      const cancelled = id === 'p01' ? 1 : 0;
      return {
        id,
        sales: {
          buckets: [
            { start: '2025-05-01T00:00:00.000Z', orders: n, units: n * n, revenue: n * n * 10 },
            { start: '2025-05-02T00:00:00.000Z', orders: 0, units: 0 - cancelled, revenue: (0 - cancelled) * 10 },
          ],
          total: { orders: n, units: n * n - cancelled, revenue: (n * n - cancelled) * 10 },
        },
      };
    });
    expect(answer).toEqual(expected);
  });

  it('should resolve Order entities with their customer email and status, and null for unknown orders', async () => {
    await post(orders, [
      orderPlaced('2025-05-01T09:00:00Z', {
        orderId: 'o1',
        productId: 'p3',
        quantity: 2,
        unitPrice: 7.5,
        region: 'us',
        channel: 'mobile',
        customerEmail: 'grace@example.com',
      }),
      orderPlaced('2025-05-01T10:00:00Z', { orderId: 'o2', productId: 'p4', customerEmail: 'alan@example.com' }),
      orderCancelled('2025-05-01T11:00:00Z', { orderId: 'o2', productId: 'p4' }),
    ]);

    const answer = await entities(
      orders,
      ['o1', 'o2', 'o3'].map((id) => ({ __typename: 'Order', id })),
      '... on Order { id status customerEmail quantity unitPrice region channel placedAt cancelledAt product { id } }',
    );

    expect(answer).toEqual([
      {
        id: 'o1',
        status: 'PLACED',
        customerEmail: 'grace@example.com',
        quantity: 2,
        unitPrice: 7.5,
        region: 'us',
        channel: 'mobile',
        placedAt: '2025-05-01T09:00:00.000Z',
        cancelledAt: null,
        product: { id: 'p3' },
      },
      expect.objectContaining({
        id: 'o2',
        status: 'CANCELLED',
        customerEmail: 'alan@example.com',
        placedAt: '2025-05-01T10:00:00.000Z',
        cancelledAt: '2025-05-01T11:00:00.000Z',
      }),
      null,
    ]);
  });
});

describe('catalog entities', () => {
  let catalog: TestSubgraph;
  beforeEach(async () => {
    catalog = await startTestSubgraph('catalog');
  });
  afterEach(() => catalog?.close());

  it('should resolve ten Product references with ONE state read, null for products not listed', async () => {
    await post(
      catalog,
      ids(5).map((id, i) =>
        productListed('2025-05-01T00:00:00Z', { productId: id, name: `Product ${i + 1}`, category: i % 2 ? 'garden' : 'kitchen', price: 10 + i }),
      ),
    );
    const readStates = jest.spyOn(catalog.runtime.store, 'readStates');

    const answer = await entities(catalog, products(ids(10)), '... on Product { id name category price updatedAt }');

    expect(readStates).toHaveBeenCalledTimes(1);
    expect(readStates).toHaveBeenCalledWith('product', ids(10));
    expect(answer).toEqual([
      ...ids(5).map((id, i) => ({
        id,
        name: `Product ${i + 1}`,
        category: i % 2 ? 'garden' : 'kitchen',
        price: 10 + i,
        updatedAt: '2025-05-01T00:00:00.000Z',
      })),
      ...ids(5).map(() => null),
    ]);
  });
});

describe('inventory entities', () => {
  let inventory: TestSubgraph;
  beforeEach(async () => {
    inventory = await startTestSubgraph('inventory');
  });
  afterEach(() => inventory?.close());

  it('should add stock on hand over all warehouses to Products, zero for products without stock', async () => {
    await post(inventory, [
      stockAdjusted('2025-05-01T08:00:00Z', 'p1', 10, 'w1'),
      stockAdjusted('2025-05-01T09:00:00Z', 'p1', 5, 'w2'),
      stockAdjusted('2025-05-01T10:00:00Z', 'p1', -3, 'w1'),
      stockCounted('2025-05-01T11:00:00Z', 'p2', 42),
    ]);
    const readStates = jest.spyOn(inventory.runtime.store, 'readStates');

    const answer = await entities(inventory, products(['p1', 'p2', 'p3']), '... on Product { id stock { onHand updatedAt } }');

    expect(readStates).toHaveBeenCalledTimes(1);
    expect(answer).toEqual([
      { id: 'p1', stock: { onHand: 12, updatedAt: '2025-05-01T10:00:00.000Z' } },
      { id: 'p2', stock: { onHand: 42, updatedAt: '2025-05-01T11:00:00.000Z' } },
      { id: 'p3', stock: { onHand: 0, updatedAt: null } },
    ]);
  });
});

describe('shipping entities', () => {
  let shipping: TestSubgraph;
  beforeEach(async () => {
    shipping = await startTestSubgraph('shipping');
  });
  afterEach(() => shipping?.close());

  it('should add the shipment to Orders, null for orders not shipped', async () => {
    const shipment = (orderId: string): ShipmentLine => ({
      shipmentId: `s-${orderId}`,
      orderId,
      productId: 'p1',
      carrier: 'UPS',
      region: 'eu',
      promisedAt: '2025-05-02T12:00:00Z',
    });
    await post(shipping, [
      shipmentDispatched('2025-05-01T08:00:00Z', shipment('o1')),
      shipmentDispatched('2025-05-01T09:00:00Z', shipment('o2')),
      shipmentDelivered('2025-05-02T14:00:00Z', { ...shipment('o2'), dispatchedAt: '2025-05-01T09:00:00Z' }),
    ]);

    const answer = await entities(
      shipping,
      ['o1', 'o2', 'o3'].map((id) => ({ __typename: 'Order', id })),
      '... on Order { id shipment { id status carrier dispatchedAt deliveredAt promisedAt onTime } }',
    );

    expect(answer).toEqual([
      {
        id: 'o1',
        shipment: {
          id: 's-o1',
          status: 'DISPATCHED',
          carrier: 'UPS',
          dispatchedAt: '2025-05-01T08:00:00.000Z',
          deliveredAt: null,
          promisedAt: '2025-05-02T12:00:00.000Z',
          onTime: null,
        },
      },
      {
        id: 'o2',
        shipment: {
          id: 's-o2',
          status: 'DELIVERED',
          carrier: 'UPS',
          dispatchedAt: '2025-05-01T09:00:00.000Z',
          deliveredAt: '2025-05-02T14:00:00.000Z',
          promisedAt: '2025-05-02T12:00:00.000Z',
          onTime: false,
        },
      },
      { id: 'o3', shipment: null },
    ]);
  });
});
