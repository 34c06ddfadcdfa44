/**
 * Distinct counts and percentiles of issue #16 through real subgraphs (HTTP `/events` in, `/graphql` out):
 * orders' `uniqueCustomers` on DuckDB and on PostgreSQL (its own schema), shipping's lead time percentiles.
 * Expected values are computed here from the posted facts, and answers must be within the documented
 * error: distinct counts exact up to 1024 (beyond: 3 standard errors of 1.6 %), percentiles within 1 %.
 */
import { DateTime } from 'luxon';
import { postgresSchemaName } from '../../subgraphs/startSubgraph.js';
import type { SubgraphConfig } from '../../subgraphs/subgraphConfig.js';
import { POSTGRES_TEST_URL, dropSchemas, postgresAvailable } from '../support/postgresAvailable.js';
import { startTestSubgraph, type TestSubgraph } from '../support/startTestSubgraph.js';
import { uniqueNamespace } from '../support/testNamespace.js';
import { random } from '../support/storeFixtures.js';
import { orderPlaced, shipmentDelivered, type CloudEventJson } from './cloudEvents.js';

const START = Date.parse('2024-03-01T00:00:00Z');
const HOUR = 3_600_000;
const ZONE = 'Europe/Paris';
const REGIONS = ['eu', 'us', 'apac'];

interface Placed {
  at: number;
  region: string;
  email: string;
}

/** 900 orders over four days from ~400 customers, some emails in upper case (the same customer). */
function placedOrders(): Placed[] {
  const next = random(16);
  return Array.from({ length: 900 }, () => {
    const customer = Math.floor(next() ** 1.5 * 400);
    return {
      at: START + Math.floor(next() * 96) * HOUR + Math.floor(next() * 3600) * 1000,
      region: REGIONS[Math.floor(next() * 3)],
      email: next() < 0.1 ? `C${customer}@EXAMPLE.COM` : `c${customer}@example.com`,
    };
  });
}

function distinct(orders: Placed[], from: number, to: number, region?: string): number {
  return new Set(orders.filter((o) => o.at >= from && o.at < to && (!region || o.region === region)).map((o) => o.email.toLowerCase())).size;
}

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

describe.each(STORES)('uniqueCustomers on $name', ({ available, config }) => {
  const maybe = available ? it : it.skip;
  const orders = placedOrders();
  let subgraph: TestSubgraph;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (!available) return;
    const store = config();
    cleanup = store.cleanup;
    subgraph = await startTestSubgraph('orders', store.overrides);
    const events: CloudEventJson[] = orders.map((o) => orderPlaced(new Date(o.at), { region: o.region, customerEmail: o.email }));
    // Several posts, so stored sketches are merged with later ones.
    for (let i = 0; i < events.length; i += 250) {
      const { status, body } = await subgraph.postEvents(events.slice(i, i + 250));
      expect([status, body.rejected]).toEqual([200, 0]);
    }
  });
  afterAll(async () => {
    await subgraph?.close();
    await cleanup?.();
  });

  maybe('should count distinct customers per local day, per region, over the range and its comparison period', async () => {
    const from = Date.parse('2024-03-02T00:00:00+01:00');
    const to = Date.parse('2024-03-05T00:00:00+01:00');
    const { data, errors } = await subgraph.graphql(
      `query ($from: DateTime!, $to: DateTime!) {
        orderHistory(range: { from: $from, to: $to }, granularity: DAY, timeZone: "${ZONE}", groupBy: [REGION],
                     compareTo: PREVIOUS_PERIOD, rolling: { buckets: 2 }) {
          buckets { start uniqueCustomers rolling { uniqueCustomers } comparison { uniqueCustomers { current previous } } }
          total { uniqueCustomers orders comparison { uniqueCustomers { current previous } } }
          groups { key { region } total { uniqueCustomers } buckets { uniqueCustomers } }
        }
      }`,
      { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    );
    expect(errors).toBeUndefined();
    const history = data.orderHistory;
    const days = [0, 1, 2, 3].map((d) => DateTime.fromMillis(from, { zone: ZONE }).plus({ days: d }).toMillis());
    expect(history.buckets.map((b: { start: string }) => Date.parse(b.start))).toEqual(days.slice(0, 3));
    history.buckets.forEach(
      (bucket: { uniqueCustomers: number; rolling: { uniqueCustomers: number }; comparison: { uniqueCustomers: unknown } }, i: number) => {
        const previousDay = DateTime.fromMillis(days[i], { zone: ZONE }).minus({ days: 3 }).toMillis();
        const previousEnd = DateTime.fromMillis(days[i + 1], { zone: ZONE })
          .minus({ days: 3 })
          .toMillis();
        expect(bucket.uniqueCustomers).toBe(distinct(orders, days[i], days[i + 1]));
        expect(bucket.rolling.uniqueCustomers).toBe(distinct(orders, DateTime.fromMillis(days[i], { zone: ZONE }).minus({ days: 1 }).toMillis(), days[i + 1]));
        expect(bucket.comparison.uniqueCustomers).toEqual({ current: bucket.uniqueCustomers, previous: distinct(orders, previousDay, previousEnd) });
      },
    );
    // Totals are the distinct customers of the whole range: fewer than the sum of the days.
    expect(history.total.uniqueCustomers).toBe(distinct(orders, from, to));
    expect(history.total.uniqueCustomers).toBeLessThan(history.buckets.reduce((sum: number, b: { uniqueCustomers: number }) => sum + b.uniqueCustomers, 0));
    expect(history.total.comparison.uniqueCustomers.previous).toBe(distinct(orders, from - 3 * 24 * HOUR, from));
    for (const group of history.groups) {
      expect(group.total.uniqueCustomers).toBe(distinct(orders, from, to, group.key.region));
      expect(group.buckets.map((b: { uniqueCustomers: number }) => b.uniqueCustomers)).toEqual(
        [0, 1, 2].map((i) => distinct(orders, days[i], days[i + 1], group.key.region)),
      );
    }
  });

  maybe('should rank regions by unique customers', async () => {
    const from = START;
    const to = START + 96 * HOUR;
    const { data, errors } = await subgraph.graphql(
      `query { orderHistory(range: { from: "${new Date(from).toISOString()}", to: "${new Date(to).toISOString()}" }, granularity: HOUR,
                            groupBy: [REGION], top: { by: UNIQUE_CUSTOMERS, limit: 2 }) {
          total { uniqueCustomers } groups { key { region } total { uniqueCustomers } } others { groups total { uniqueCustomers } } } }`,
    );
    expect(errors).toBeUndefined();
    const ranked = REGIONS.map((region) => ({ region, n: distinct(orders, from, to, region) })).sort((a, b) => b.n - a.n);
    expect(data.orderHistory.groups).toEqual(ranked.slice(0, 2).map(({ region, n }) => ({ key: { region }, total: { uniqueCustomers: n } })));
    expect(data.orderHistory.others).toEqual({ groups: 1, total: { uniqueCustomers: ranked[2].n } });
    expect(data.orderHistory.total.uniqueCustomers).toBe(distinct(orders, from, to));
  });
});

describe('lead time percentiles on the shipping subgraph', () => {
  let shipping: TestSubgraph;
  const next = random(95);
  /** 300 deliveries over two days, lead times from 2 h to ~5 days, skewed. */
  const deliveries = Array.from({ length: 300 }, (_, i) => {
    const deliveredAt = START + Math.floor(next() * 48 * 3600) * 1000;
    const leadHours = Math.round(2 + next() ** 3 * 120);
    return { i, deliveredAt, leadHours, carrier: next() < 0.5 ? 'dhl' : 'ups' };
  });

  beforeAll(async () => {
    shipping = await startTestSubgraph('shipping');
    const events = deliveries.map(({ i, deliveredAt, leadHours, carrier }) =>
      shipmentDelivered(new Date(deliveredAt).toISOString(), {
        shipmentId: `s${i}`,
        orderId: `o${i}`,
        productId: 'p1',
        carrier,
        region: 'eu',
        promisedAt: new Date(deliveredAt).toISOString(),
        dispatchedAt: new Date(deliveredAt - leadHours * HOUR).toISOString(),
      }),
    );
    const { status, body } = await shipping.postEvents(events);
    expect([status, body.rejected]).toEqual([200, 0]);
  });
  afterAll(() => shipping?.close());

  it('should answer p50, p90, p95 and p99 within 1 % of the exact lead times, per bucket, per carrier and in total', async () => {
    const { data, errors } = await shipping.graphql(
      `query { deliveryPerformance(range: { from: "2024-03-01T00:00:00Z", to: "2024-03-03T00:00:00Z" }, granularity: DAY, timeZone: "${ZONE}", groupBy: [CARRIER]) {
          buckets { start end leadTimeHoursP50 leadTimeHoursP95 }
          total { delivered leadTimeHoursP50 leadTimeHoursP90 leadTimeHoursP95 leadTimeHoursP99 }
          groups { key { carrier } total { leadTimeHoursP95 } } } }`,
    );
    expect(errors).toBeUndefined();
    const exact = (q: number, from = START, to = START + 48 * HOUR, carrier?: string) => {
      const sorted = deliveries
        .filter((d) => d.deliveredAt >= from && d.deliveredAt < to && (!carrier || d.carrier === carrier))
        .map((d) => d.leadHours)
        .sort((a, b) => a - b);
      return sorted.length ? sorted[Math.floor(q * (sorted.length - 1))] : null;
    };
    const within = (actual: number | null, expected: number | null) => {
      if (expected === null) return expect(actual).toBeNull();
      expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(0.01 * expected);
    };
    const performance = data.deliveryPerformance;
    expect(performance.total.delivered).toBe(300);
    within(performance.total.leadTimeHoursP50, exact(0.5));
    within(performance.total.leadTimeHoursP90, exact(0.9));
    within(performance.total.leadTimeHoursP95, exact(0.95));
    within(performance.total.leadTimeHoursP99, exact(0.99));
    expect(performance.buckets).toHaveLength(3); // Paris days: Feb 29 (cut), Mar 1, Mar 2 (cut)
    for (const bucket of performance.buckets) {
      const from = Math.max(START, Date.parse(bucket.start));
      const to = Math.min(START + 48 * HOUR, Date.parse(bucket.end));
      within(bucket.leadTimeHoursP50, exact(0.5, from, to));
      within(bucket.leadTimeHoursP95, exact(0.95, from, to));
    }
    for (const group of performance.groups) within(group.total.leadTimeHoursP95, exact(0.95, START, START + 48 * HOUR, group.key.carrier));
  });
});
