/**
 * Analytics queries of issue #16 through the real orders subgraph (HTTP `/events` in, `/graphql` out):
 * comparison periods, rolling windows, top-N with others, and partial buckets, in UTC and in
 * Europe/Berlin across the 2024-03-31 DST change, on DuckDB and on PostgreSQL (its own schema).
 * Every expected number is worked out by hand from the facts below.
 */
import { postgresSchemaName } from '../../subgraphs/startSubgraph.js';
import type { SubgraphConfig } from '../../subgraphs/subgraphConfig.js';
import { POSTGRES_TEST_URL, dropSchemas, postgresAvailable } from '../support/postgresAvailable.js';
import { startTestSubgraph, type TestSubgraph } from '../support/startTestSubgraph.js';
import { uniqueNamespace } from '../support/testNamespace.js';
import { orderPlaced, shipmentDelivered, shipmentDispatched, type CloudEventJson } from './cloudEvents.js';

/**
 * Units by UTC day of March 2024, all orders at 12:00Z, unit price 10: p1 orders `d` units on day d
 * (1..10), p2 one unit every day, p3 two units on days 1..3. So the days hold 4, 5, 6, 5, 6, 7, 8, 9, 10, 11
 * units and p1/p2/p3 hold 55/10/6 units over the ten days. A year earlier: p1 five units on 2023-02-28 and
 * four on 2023-03-07.
 *
 * p4 (one unit each) sits around the Berlin DST change: local dates Mar 25 (E), Mar 30 (C), Mar 31 (A),
 * Apr 1 (B at 00:30, D at 23:30), all of them on another UTC date than their local one.
 */
function facts(): CloudEventJson[] {
  const events: CloudEventJson[] = [
    orderPlaced('2023-02-28T12:00:00Z', { productId: 'p1', quantity: 5 }),
    orderPlaced('2023-03-07T12:00:00Z', { productId: 'p1', quantity: 4 }),
  ];
  for (let d = 1; d <= 10; d++) {
    const at = `2024-03-${String(d).padStart(2, '0')}T12:00:00Z`;
    events.push(orderPlaced(at, { productId: 'p1', quantity: d }), orderPlaced(at, { productId: 'p2', quantity: 1 }));
    if (d <= 3) events.push(orderPlaced(at, { productId: 'p3', quantity: 2 }));
  }
  for (const at of ['2024-03-24T23:30:00Z', '2024-03-29T23:30:00Z', '2024-03-30T23:30:00Z', '2024-03-31T22:30:00Z', '2024-04-01T21:30:00Z']) {
    events.push(orderPlaced(at, { productId: 'p4', quantity: 1 }));
  }
  return events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

const CHANGE = 'current previous absolute relative';
const HISTORY = /* GraphQL */ `
  query Analytics(
    $range: TimeRangeInput!
    $granularity: Granularity!
    $timeZone: String
    $groupBy: [OrderDimension!]
    $filter: OrderFilter
    $compareTo: ComparePeriod
    $rolling: RollingWindowInput
    $top: OrderTopInput
  ) {
    orderHistory(
      range: $range
      granularity: $granularity
      timeZone: $timeZone
      groupBy: $groupBy
      filter: $filter
      compareTo: $compareTo
      rolling: $rolling
      top: $top
    ) {
      buckets {
        start
        end
        complete
        units
        orders
        comparison { start end units { ${CHANGE} } orders { ${CHANGE} } revenue { ${CHANGE} } }
        rolling { buckets units orders revenue average { units orders } }
      }
      total { units orders comparison { start end units { ${CHANGE} } } }
      groups { key { product { id } } total { units orders comparison { units { ${CHANGE} } } } }
      others { groups total { units orders } buckets { units } }
    }
  }
`;

type Store = { name: string; available: boolean; config: () => { overrides: Partial<SubgraphConfig>; cleanup: () => Promise<void> } };
const STORES: Store[] = [
  { name: 'DuckDB', available: true, config: () => ({ overrides: {}, cleanup: async () => {} }) },
  {
    name: 'PostgreSQL',
    available: postgresAvailable,
    config: () => {
      const namespace = uniqueNamespace();
      return {
        overrides: { store: { kind: 'postgres', url: POSTGRES_TEST_URL }, namespace },
        cleanup: () => dropSchemas(postgresSchemaName('orders', namespace)),
      };
    },
  },
];

describe.each(STORES)('analytics history on $name', ({ available, config }) => {
  const maybe = available ? it : it.skip;
  let orders: TestSubgraph;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (!available) return;
    const store = config();
    cleanup = store.cleanup;
    orders = await startTestSubgraph('orders', store.overrides);
    const all = facts();
    const { status, body } = await orders.postEvents(all);
    expect([status, body.rejected]).toEqual([200, 0]);
  });
  afterAll(async () => {
    await orders?.close();
    await cleanup?.();
  });

  const history = async (variables: Record<string, unknown>) => {
    const response = await orders.graphql(HISTORY, variables);
    expect(response.errors).toBeUndefined();
    return response.data.orderHistory;
  };
  const change = (current: number, previous: number) => ({
    current,
    previous,
    absolute: current - previous,
    relative: previous === 0 ? null : (current - previous) / Math.abs(previous),
  });

  maybe('should compare each UTC day and the totals with the previous period', async () => {
    const answer = await history({ range: { from: '2024-03-06T00:00:00Z', to: '2024-03-09T00:00:00Z' }, granularity: 'DAY', compareTo: 'PREVIOUS_PERIOD' });
    expect(answer.buckets.map((b: any) => [b.start, b.comparison.start, b.comparison.end, b.comparison.units, b.comparison.orders])).toEqual([
      ['2024-03-06T00:00:00.000Z', '2024-03-03T00:00:00.000Z', '2024-03-04T00:00:00.000Z', change(7, 6), change(2, 3)],
      ['2024-03-07T00:00:00.000Z', '2024-03-04T00:00:00.000Z', '2024-03-05T00:00:00.000Z', change(8, 5), change(2, 2)],
      ['2024-03-08T00:00:00.000Z', '2024-03-05T00:00:00.000Z', '2024-03-06T00:00:00.000Z', change(9, 6), change(2, 2)],
    ]);
    expect(answer.buckets[0].comparison.revenue).toEqual(change(70, 60));
    expect(answer.total.comparison).toEqual({ start: '2024-03-03T00:00:00.000Z', end: '2024-03-06T00:00:00.000Z', units: change(24, 17) });
  });

  maybe('should give a null relative change when the comparison base is 0', async () => {
    const answer = await history({ range: { from: '2024-03-01T00:00:00Z', to: '2024-03-03T00:00:00Z' }, granularity: 'DAY', compareTo: 'PREVIOUS_PERIOD' });
    expect(answer.buckets.map((b: any) => b.comparison.units)).toEqual([
      { current: 4, previous: 0, absolute: 4, relative: null },
      { current: 5, previous: 0, absolute: 5, relative: null },
    ]);
  });

  maybe('should compare with the same dates last year, February 29 with nothing', async () => {
    const days = await history({ range: { from: '2024-02-28T00:00:00Z', to: '2024-03-02T00:00:00Z' }, granularity: 'DAY', compareTo: 'SAME_PERIOD_LAST_YEAR' });
    expect(days.buckets.map((b: any) => [b.comparison.start, b.comparison.end, b.comparison.units.previous])).toEqual([
      ['2023-02-28T00:00:00.000Z', '2023-03-01T00:00:00.000Z', 5],
      ['2023-03-01T00:00:00.000Z', '2023-03-01T00:00:00.000Z', 0],
      ['2023-03-01T00:00:00.000Z', '2023-03-02T00:00:00.000Z', 0],
    ]);
    expect(days.total.comparison.units).toEqual(change(4, 5));
    // ISO weeks compare with the week 52 weeks earlier: Monday 2023-03-06, which holds the 4 units of March 7.
    const week = await history({
      range: { from: '2024-03-04T00:00:00Z', to: '2024-03-11T00:00:00Z' },
      granularity: 'WEEK',
      compareTo: 'SAME_PERIOD_LAST_YEAR',
    });
    expect(week.buckets[0].comparison).toMatchObject({ start: '2023-03-06T00:00:00.000Z', end: '2023-03-13T00:00:00.000Z', units: change(56, 4) });
  });

  maybe('should compute rolling windows over the days before the range', async () => {
    const answer = await history({ range: { from: '2024-03-06T00:00:00Z', to: '2024-03-09T00:00:00Z' }, granularity: 'DAY', rolling: { buckets: 3 } });
    expect(answer.buckets.map((b: any) => b.rolling)).toEqual([
      { buckets: 3, units: 18, orders: 6, revenue: 180, average: { units: 6, orders: 2 } },
      { buckets: 3, units: 21, orders: 6, revenue: 210, average: { units: 7, orders: 2 } },
      { buckets: 3, units: 24, orders: 6, revenue: 240, average: { units: 8, orders: 2 } },
    ]);
    expect(answer.buckets.map((b: any) => b.comparison)).toEqual([null, null, null]);
  });

  maybe('should keep the top groups and merge the rest into others so totals stay exact', async () => {
    const range = { from: '2024-03-01T00:00:00Z', to: '2024-03-11T00:00:00Z' };
    const one = await history({ range, granularity: 'DAY', groupBy: ['PRODUCT'], top: { by: 'UNITS', limit: 1 } });
    expect(one.groups.map((g: any) => [g.key.product.id, g.total.units])).toEqual([['p1', 55]]);
    expect(one.others.groups).toBe(2);
    expect(one.others.total).toEqual({ units: 16, orders: 13 });
    expect(one.others.buckets.map((b: any) => b.units)).toEqual([3, 3, 3, 1, 1, 1, 1, 1, 1, 1]);
    expect(one.total.units).toBe(71);
    // A tie on ORDERS (10 each) is broken by the group key; nothing left over: no others.
    const all = await history({ range, granularity: 'DAY', groupBy: ['PRODUCT'], top: { by: 'ORDERS', limit: 3 } });
    expect(all.groups.map((g: any) => [g.key.product.id, g.total.orders])).toEqual([
      ['p1', 10],
      ['p2', 10],
      ['p3', 3],
    ]);
    expect(all.others).toBeNull();
  });

  maybe('should give groups their own comparison, counting groups seen only before the range in the totals', async () => {
    const answer = await history({
      range: { from: '2024-03-06T00:00:00Z', to: '2024-03-09T00:00:00Z' },
      granularity: 'DAY',
      groupBy: ['PRODUCT'],
      compareTo: 'PREVIOUS_PERIOD',
    });
    // p3 has 2 units on March 3 and none in the range: no group of its own, but part of the 17 compared.
    expect(answer.groups.map((g: any) => [g.key.product.id, g.total.comparison.units])).toEqual([
      ['p1', change(21, 12)],
      ['p2', change(3, 3)],
    ]);
    expect(answer.total.comparison.units).toEqual(change(24, 17));
  });

  maybe('should mark the buckets a UTC range cuts as incomplete', async () => {
    const answer = await history({ range: { from: '2024-03-06T06:00:00Z', to: '2024-03-08T06:00:00Z' }, granularity: 'DAY' });
    expect(answer.buckets.map((b: any) => [b.start, b.complete, b.units])).toEqual([
      ['2024-03-06T00:00:00.000Z', false, 7],
      ['2024-03-07T00:00:00.000Z', true, 8],
      ['2024-03-08T00:00:00.000Z', false, 0],
    ]);
  });

  describe('in Europe/Berlin across the DST change', () => {
    const berlin = { granularity: 'DAY', timeZone: 'Europe/Berlin', filter: { productIds: ['p4'] } };
    /** Local Mar 31 (23 h) and Apr 1. */
    const range = { from: '2024-03-30T23:00:00Z', to: '2024-04-01T22:00:00Z' };

    maybe('should compare local days with the local days before', async () => {
      const answer = await history({ ...berlin, range, compareTo: 'PREVIOUS_PERIOD' });
      expect(answer.buckets.map((b: any) => [b.start, b.end, b.complete, b.comparison.start, b.comparison.end, b.comparison.units])).toEqual([
        ['2024-03-30T23:00:00.000Z', '2024-03-31T22:00:00.000Z', true, '2024-03-28T23:00:00.000Z', '2024-03-29T23:00:00.000Z', change(1, 0)],
        ['2024-03-31T22:00:00.000Z', '2024-04-01T22:00:00.000Z', true, '2024-03-29T23:00:00.000Z', '2024-03-30T23:00:00.000Z', change(2, 1)],
      ]);
    });

    maybe('should compute rolling windows over local days before the range', async () => {
      const answer = await history({ ...berlin, range, rolling: { buckets: 7 } });
      expect(answer.buckets.map((b: any) => [b.rolling.units, b.rolling.average.units])).toEqual([
        [3, 3 / 7],
        [4, 4 / 7],
      ]);
    });

    maybe('should mark the local days a UTC range cuts as incomplete', async () => {
      const answer = await history({ ...berlin, range: { from: '2024-03-31T00:00:00Z', to: '2024-04-01T00:00:00Z' } });
      expect(answer.buckets.map((b: any) => [b.start, b.end, b.complete, b.units])).toEqual([
        ['2024-03-30T23:00:00.000Z', '2024-03-31T22:00:00.000Z', false, 0],
        ['2024-03-31T22:00:00.000Z', '2024-04-01T22:00:00.000Z', false, 1],
      ]);
    });

    maybe('should count the cut-off head of the first bucket in its rolling window', async () => {
      // The range starts at 00:00Z inside local Mar 31, whose first hour holds A: the window still counts it.
      const answer = await history({ ...berlin, range: { from: '2024-03-31T00:00:00Z', to: '2024-04-01T00:00:00Z' }, rolling: { buckets: 2 } });
      expect(answer.buckets.map((b: any) => [b.units, b.rolling.units])).toEqual([
        [0, 2],
        [1, 2],
      ]);
    });
  });

  maybe('should refuse top without groupBy, an unknown window and a window beyond the bucket limit with coded errors', async () => {
    const range = { from: '2024-03-01T00:00:00Z', to: '2024-03-03T00:00:00Z' };
    const codeOf = async (variables: Record<string, unknown>) =>
      (await orders.graphql(HISTORY, { range, granularity: 'DAY', ...variables })).errors?.[0]?.extensions?.code;
    expect(await codeOf({ top: { by: 'UNITS', limit: 1 } })).toBe('BAD_USER_INPUT');
    expect(await codeOf({ groupBy: ['PRODUCT'], top: { by: 'UNITS', limit: 0 } })).toBe('BAD_USER_INPUT');
    expect(await codeOf({ rolling: { buckets: 0 } })).toBe('BAD_USER_INPUT');
    expect(await codeOf({ rolling: { buckets: 10_000 } })).toBe('RESULT_TOO_LARGE');
    expect(await codeOf({ rolling: { buckets: 20_000 } })).toBe('RESULT_TOO_LARGE');
    // What the GraphQL enums rule out, the kit refuses too for domains that pass strings.
    const direct = (request: Record<string, unknown>) => orders.runtime.history('sales', { range, granularity: 'DAY', ...request });
    await expect(direct({ compareTo: 'LAST_WEEK' })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    await expect(direct({ groupBy: ['region'], top: { by: 'profit', limit: 1 } })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('analytics history on the shipping subgraph', () => {
  let shipping: TestSubgraph;
  const line = (shipmentId: string, carrier: string, promisedAt: string) => ({
    shipmentId,
    orderId: `o-${shipmentId}`,
    productId: 'p1',
    carrier,
    region: 'eu',
    promisedAt,
  });
  beforeAll(async () => {
    shipping = await startTestSubgraph('shipping');
    // s1 on time after 24 h (delivered Mar 2), s2 late after 36 h (Mar 4), s3 on time after 24 h (Mar 5).
    const s1 = line('s1', 'dhl', '2024-03-03T00:00:00Z');
    const s2 = line('s2', 'ups', '2024-03-04T12:00:00Z');
    const s3 = line('s3', 'dhl', '2024-03-06T00:00:00Z');
    const { status, body } = await shipping.postEvents([
      shipmentDispatched('2024-03-01T10:00:00Z', s1),
      shipmentDelivered('2024-03-02T10:00:00Z', { ...s1, dispatchedAt: '2024-03-01T10:00:00Z' }),
      shipmentDispatched('2024-03-03T10:00:00Z', s2),
      shipmentDispatched('2024-03-04T08:00:00Z', s3),
      shipmentDelivered('2024-03-04T22:00:00Z', { ...s2, dispatchedAt: '2024-03-03T10:00:00Z' }),
      shipmentDelivered('2024-03-05T08:00:00Z', { ...s3, dispatchedAt: '2024-03-04T08:00:00Z' }),
    ]);
    expect([status, body.rejected]).toEqual([200, 0]);
  });
  afterAll(() => shipping?.close());

  it('should compare, roll and rank delivery performance', async () => {
    const { data, errors } = await shipping.graphql(
      `query {
        deliveryPerformance(range: { from: "2024-03-04T00:00:00Z", to: "2024-03-06T00:00:00Z" }, granularity: DAY, groupBy: [CARRIER],
                            compareTo: PREVIOUS_PERIOD, rolling: { buckets: 3 }, top: { by: DELIVERED, limit: 1 }) {
          buckets { complete delivered rolling { buckets dispatched delivered avgLeadTimeHours onTimeRate average { dispatched delivered } } }
          total { delivered comparison { start end delivered { ${CHANGE} } avgLeadTimeHours { ${CHANGE} } onTimeRate { ${CHANGE} } } }
          groups { key { carrier } total { delivered } }
          others { groups total { delivered avgLeadTimeHours onTimeRate } }
        }
      }`,
    );
    expect(errors).toBeUndefined();
    const performance = data.deliveryPerformance;
    const window = { buckets: 3, dispatched: 2, delivered: 2, avgLeadTimeHours: 30, onTimeRate: 0.5, average: { dispatched: 2 / 3, delivered: 2 / 3 } };
    expect(performance.buckets).toEqual([
      { complete: true, delivered: 1, rolling: window },
      { complete: true, delivered: 1, rolling: window },
    ]);
    expect(performance.total).toEqual({
      delivered: 2,
      comparison: {
        start: '2024-03-02T00:00:00.000Z',
        end: '2024-03-04T00:00:00.000Z',
        delivered: { current: 2, previous: 1, absolute: 1, relative: 1 },
        avgLeadTimeHours: { current: 30, previous: 24, absolute: 6, relative: 0.25 },
        onTimeRate: { current: 0.5, previous: 1, absolute: -0.5, relative: -0.5 },
      },
    });
    expect(performance.groups).toEqual([{ key: { carrier: 'dhl' }, total: { delivered: 1 } }]);
    expect(performance.others).toEqual({ groups: 1, total: { delivered: 1, avgLeadTimeHours: 36, onTimeRate: 0 } });
  });
});
