import { startTestSubgraph, type TestSubgraph } from '../support/startTestSubgraph.js';
import { orderCancelled, orderPlaced, type CloudEventJson, type OrderLine } from './cloudEvents.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The seeded facts lie in [WINDOW_FROM, WINDOW_TO): a Sunday noon to a Wednesday noon, across a week and a year. */
const WINDOW_FROM = Date.parse('2024-12-29T12:00:00Z');
const WINDOW_TO = Date.parse('2025-01-01T12:00:00Z');
const PRODUCTS = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];
const REGIONS = ['eu', 'us', 'apac'];
const CHANNELS = ['web', 'mobile', 'store', 'partner'] as const;

/** mulberry32: a tiny seeded generator, so the facts are the same on every run. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}

interface Fact {
  type: 'OrderPlaced' | 'OrderCancelled';
  time: number;
  line: OrderLine;
}

/** 300 orders at whole seconds in the window; about a quarter cancelled a few hours later (still in the window). */
function generateFacts(seed: number): Fact[] {
  const random = seeded(seed);
  const facts: Fact[] = [];
  for (let i = 0; i < 300; i++) {
    const time = WINDOW_FROM + random.int(0, (WINDOW_TO - WINDOW_FROM) / 1000 - 1) * 1000;
    const line: OrderLine = {
      orderId: `o${i}`,
      productId: random.pick(PRODUCTS),
      quantity: random.int(1, 5),
      unitPrice: random.int(99, 9999) / 100,
      region: random.pick(REGIONS),
      channel: random.pick(CHANNELS),
    };
    facts.push({ type: 'OrderPlaced', time, line });
    const cancelledAt = time + random.int(1, 360) * 60_000;
    if (random.next() < 0.25 && cancelledAt < WINDOW_TO) facts.push({ type: 'OrderCancelled', time: cancelledAt, line });
  }
  return facts;
}

const toEvent = (fact: Fact): CloudEventJson =>
  fact.type === 'OrderPlaced' ? orderPlaced(new Date(fact.time), fact.line) : orderCancelled(new Date(fact.time), fact.line);

interface Values {
  orders: number;
  cancellations: number;
  units: number;
  revenue: number;
  averageOrderValue: number | null;
}
interface Bucket extends Values {
  start: string;
  end: string;
}

/** Rounded so that sums added in another order compare equal. */
/** Money as the product answers it: rounded to cents. */
const money = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);

/**
 * The cents a ratio rounds to. On a half cent either is right: float sums depend on the order of additions
 * (raw facts here; rollup or projection rows in the store), which decides the way it rounds.
 */
function cents(ratio: number): number {
  const scaled = ratio * 100;
  if (Math.abs(scaled - Math.floor(scaled) - 0.5) > 1e-6) return money(ratio)!;
  const [down, up] = [Math.floor(scaled) / 100, Math.ceil(scaled) / 100];
  return { asymmetricMatch: (actual: unknown) => actual === down || actual === up, toString: () => `${down} or ${up}` } as unknown as number;
}

function values(facts: Fact[]): Values {
  const v = { orders: 0, cancellations: 0, units: 0, revenue: 0 };
  for (const { type, line } of facts) {
    const sign = type === 'OrderPlaced' ? 1 : -1;
    if (type === 'OrderPlaced') v.orders += 1;
    else v.cancellations += 1;
    v.units += sign * line.quantity;
    v.revenue += sign * line.quantity * line.unitPrice;
  }
  return { ...v, revenue: money(v.revenue)!, averageOrderValue: v.orders ? cents(v.revenue / v.orders) : null };
}

/** Expected buckets straight from the raw facts: bucket i holds the facts in [edges[i], edges[i + 1]). */
function expectedBuckets(facts: Fact[], edges: number[]): Bucket[] {
  return edges.slice(0, -1).map((start, i) => ({
    start: new Date(start).toISOString(),
    end: new Date(edges[i + 1]).toISOString(),
    ...values(facts.filter((f) => f.time >= start && f.time < edges[i + 1])),
  }));
}

/** Edges every `size` ms from `from` to `to`. */
const evenEdges = (from: string, to: string, size: number) => {
  const edges: number[] = [];
  for (let t = Date.parse(from); t <= Date.parse(to); t += size) edges.push(t);
  return edges;
};

/** The history answer with revenue and AOV rounded like the expectation. */
function rounded(series: { buckets: Bucket[]; total: Values }) {
  const round = <T extends Values>(v: T): T => ({ ...v, revenue: money(v.revenue)!, averageOrderValue: money(v.averageOrderValue) });
  return { buckets: series.buckets.map(round), total: round(series.total) };
}

const VALUES = 'orders cancellations units revenue averageOrderValue';
const HISTORY = /* GraphQL */ `
  query History($range: TimeRangeInput!, $granularity: Granularity!, $timeZone: String, $groupBy: [OrderDimension!], $filter: OrderFilter) {
    orderHistory(range: $range, granularity: $granularity, timeZone: $timeZone, groupBy: $groupBy, filter: $filter) {
      granularity
      timeZone
      asOf
      buckets { start end ${VALUES} }
      total { ${VALUES} }
      groups { key { product { id } region channel } buckets { start end ${VALUES} } total { ${VALUES} } }
    }
  }
`;

const SEED = 20_241_229;

it('should generate a few hundred facts over three days, cancellations included, the same on every run', () => {
  const facts = generateFacts(SEED);

  expect(facts.length).toBeGreaterThan(300);
  expect(facts.filter((f) => f.type === 'OrderCancelled').length).toBeGreaterThan(30);
  expect(Math.max(...facts.map((f) => f.time)) - Math.min(...facts.map((f) => f.time))).toBeGreaterThan(2.9 * DAY);
  expect(generateFacts(SEED)).toEqual(facts);
});

describe('orders history (orderHistory)', () => {
  const facts = generateFacts(SEED);
  let orders: TestSubgraph;
  beforeEach(async () => {
    orders = await startTestSubgraph('orders');
    const events = facts.map(toEvent);
    for (let i = 0; i < events.length; i += 100) {
      const { status, body } = await orders.postEvents(events.slice(i, i + 100));
      expect([status, body.rejected]).toEqual([200, 0]);
    }
  });
  afterEach(() => orders?.close());

  async function history(variables: Record<string, unknown>) {
    const { data, errors } = await orders.graphql(HISTORY, variables);
    expect(errors).toBeUndefined();
    return data.orderHistory;
  }

  async function historyError(variables: Record<string, unknown>) {
    const { data, errors } = await orders.graphql(HISTORY, variables);
    expect(data?.orderHistory ?? null).toBeNull();
    expect(errors).toHaveLength(1);
    return errors![0];
  }

  it('should answer DAY buckets equal to the totals computed from the raw facts', async () => {
    const range = { from: '2024-12-29T00:00:00Z', to: '2025-01-02T00:00:00Z' };

    const answer = await history({ range, granularity: 'DAY' });

    const expected = expectedBuckets(facts, evenEdges(range.from, range.to, DAY));
    expect(answer).toMatchObject({ granularity: 'DAY', timeZone: 'UTC' });
    expect(rounded(answer)).toEqual({ buckets: expected, total: values(facts) });
  });

  it('should answer HOUR buckets equal to the totals computed from the raw facts', async () => {
    const range = { from: '2024-12-29T12:00:00Z', to: '2025-01-01T12:00:00Z' };

    const answer = await history({ range, granularity: 'HOUR' });

    expect(answer.buckets).toHaveLength(72);
    expect(rounded(answer)).toEqual({ buckets: expectedBuckets(facts, evenEdges(range.from, range.to, HOUR)), total: values(facts) });
  });

  it('should answer MINUTE buckets over a short window, counting only the facts inside it', async () => {
    const range = { from: '2024-12-30T10:00:00Z', to: '2024-12-30T12:00:00Z' };

    const answer = await history({ range, granularity: 'MINUTE' });

    const expected = expectedBuckets(facts, evenEdges(range.from, range.to, 60_000));
    expect(expected).toHaveLength(120);
    expect(expected.filter((b) => b.orders > 0).length).toBeGreaterThan(3);
    expect(rounded(answer).buckets).toEqual(expected);
  });

  it('should answer WEEK buckets starting on Mondays and MONTH buckets on the first', async () => {
    const weeks = await history({ range: { from: '2024-12-23T00:00:00Z', to: '2025-01-06T00:00:00Z' }, granularity: 'WEEK' });
    const months = await history({ range: { from: '2024-12-01T00:00:00Z', to: '2025-02-01T00:00:00Z' }, granularity: 'MONTH' });

    const weekEdges = ['2024-12-23T00:00:00Z', '2024-12-30T00:00:00Z', '2025-01-06T00:00:00Z'].map(Date.parse);
    const monthEdges = ['2024-12-01T00:00:00Z', '2025-01-01T00:00:00Z', '2025-02-01T00:00:00Z'].map(Date.parse);
    expect(rounded(weeks).buckets).toEqual(expectedBuckets(facts, weekEdges));
    expect(rounded(months).buckets).toEqual(expectedBuckets(facts, monthEdges));
    expect(weeks.buckets[0].orders).toBeGreaterThan(0);
    expect(months.buckets[1].orders).toBeGreaterThan(0);
  });

  it('should zero-fill a range without facts: one bucket per day, all zeros, averageOrderValue null', async () => {
    const answer = await history({ range: { from: '2025-02-01T00:00:00Z', to: '2025-02-04T00:00:00Z' }, granularity: 'DAY' });

    const zeros = { orders: 0, cancellations: 0, units: 0, revenue: 0, averageOrderValue: null };
    expect(answer.buckets).toEqual([
      { start: '2025-02-01T00:00:00.000Z', end: '2025-02-02T00:00:00.000Z', ...zeros },
      { start: '2025-02-02T00:00:00.000Z', end: '2025-02-03T00:00:00.000Z', ...zeros },
      { start: '2025-02-03T00:00:00.000Z', end: '2025-02-04T00:00:00.000Z', ...zeros },
    ]);
    expect(answer.total).toEqual(zeros);
  });

  it('should start DAY buckets at local midnight (05:00Z in a New York winter) and group facts by local day', async () => {
    const range = { from: '2024-12-29T05:00:00Z', to: '2025-01-01T05:00:00Z' };

    const answer = await history({ range, granularity: 'DAY', timeZone: 'America/New_York' });

    expect(answer.timeZone).toBe('America/New_York');
    expect(answer.buckets.map((b: Bucket) => b.start)).toEqual(['2024-12-29T05:00:00.000Z', '2024-12-30T05:00:00.000Z', '2024-12-31T05:00:00.000Z']);
    expect(rounded(answer).buckets).toEqual(expectedBuckets(facts, evenEdges(range.from, range.to, DAY)));
  });

  it('should count a fact at 03:00Z in the previous New York day', async () => {
    await orders.postEvents([orderPlaced('2025-01-10T03:00:00Z', { quantity: 1 }), orderPlaced('2025-01-10T06:00:00Z', { quantity: 4 })]);

    const local = await history({ range: { from: '2025-01-09T05:00:00Z', to: '2025-01-11T05:00:00Z' }, granularity: 'DAY', timeZone: 'America/New_York' });
    const utc = await history({ range: { from: '2025-01-09T00:00:00Z', to: '2025-01-11T00:00:00Z' }, granularity: 'DAY' });

    expect(local.buckets.map((b: Bucket) => [b.start, b.units])).toEqual([
      ['2025-01-09T05:00:00.000Z', 1],
      ['2025-01-10T05:00:00.000Z', 4],
    ]);
    expect(utc.buckets.map((b: Bucket) => [b.start, b.units])).toEqual([
      ['2025-01-09T00:00:00.000Z', 0],
      ['2025-01-10T00:00:00.000Z', 5],
    ]);
  });

  it('should report asOf as the time of the newest fact', async () => {
    const answer = await history({ range: { from: '2025-02-01T00:00:00Z', to: '2025-02-02T00:00:00Z' }, granularity: 'DAY' });

    expect(answer.asOf).toBe(new Date(Math.max(...facts.map((f) => f.time))).toISOString());
  });

  it('should refuse more buckets than the limit with RESULT_TOO_LARGE', async () => {
    const error = await historyError({ range: { from: '2024-12-01T00:00:00Z', to: '2024-12-31T00:00:00Z' }, granularity: 'MINUTE' });

    expect(error.extensions).toMatchObject({ code: 'RESULT_TOO_LARGE', requested: 43_200, limit: 10_000 });
    expect(error.message).toMatch(/coarser granularity/);
  });

  it('should refuse a range whose from is not before its to with BAD_USER_INPUT', async () => {
    const same = await historyError({ range: { from: '2025-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }, granularity: 'DAY' });
    const reversed = await historyError({ range: { from: '2025-01-02T00:00:00Z', to: '2025-01-01T00:00:00Z' }, granularity: 'DAY' });

    for (const error of [same, reversed]) {
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'range' });
      expect(error.message).toMatch(/must be before/);
    }
  });

  it('should refuse an unknown time zone with BAD_USER_INPUT naming it', async () => {
    const error = await historyError({
      range: { from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' },
      granularity: 'DAY',
      timeZone: 'Mars/Olympus_Mons',
    });

    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'timeZone' });
    expect(error.message).toMatch(/Mars\/Olympus_Mons/);
  });

  it('should refuse a timestamp that is not ISO-8601 with BAD_USER_INPUT', async () => {
    const { status, errors } = await orders.graphql(HISTORY, { range: { from: '01/01/2025', to: '2025-01-02T00:00:00Z' }, granularity: 'DAY' });

    expect(status).toBe(400);
    expect(errors).toHaveLength(1);
    expect(errors![0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors![0].message).toMatch(/ISO-8601/);
    expect(errors![0].message).toMatch(/01\/01\/2025/);
  });

  it('should keep only the facts of the filtered products and regions', async () => {
    const range = { from: '2024-12-29T00:00:00Z', to: '2025-01-02T00:00:00Z' };

    const answer = await history({ range, granularity: 'DAY', filter: { productIds: ['p1', 'p2'], regions: ['eu'] } });

    const kept = facts.filter((f) => ['p1', 'p2'].includes(f.line.productId) && f.line.region === 'eu');
    expect(kept.length).toBeGreaterThan(10);
    expect(rounded(answer)).toEqual({ buckets: expectedBuckets(kept, evenEdges(range.from, range.to, DAY)), total: values(kept) });
  });

  it('should give one series per region, each equal to that region’s facts', async () => {
    const range = { from: '2024-12-29T00:00:00Z', to: '2025-01-02T00:00:00Z' };

    const answer = await history({ range, granularity: 'DAY', groupBy: ['REGION'] });

    const edges = evenEdges(range.from, range.to, DAY);
    const expected = [...REGIONS].sort().map((region) => {
      const mine = facts.filter((f) => f.line.region === region);
      return { key: { product: null, region, channel: null }, buckets: expectedBuckets(mine, edges), total: values(mine) };
    });
    expect(answer.groups.map((g: { key: unknown; buckets: Bucket[]; total: Values }) => ({ key: g.key, ...rounded(g) }))).toEqual(expected);
    expect(rounded(answer).total).toEqual(values(facts));
  });

  it('should key PRODUCT groups by a Product reference with the product id', async () => {
    const range = { from: '2024-12-29T00:00:00Z', to: '2025-01-02T00:00:00Z' };

    const answer = await history({ range, granularity: 'DAY', groupBy: ['PRODUCT'] });

    const totals = answer.groups.map((g: { key: { product: { id: string } }; buckets: Bucket[]; total: Values }) => [g.key.product.id, rounded(g).total]);
    expect(totals).toEqual(PRODUCTS.map((id) => [id, values(facts.filter((f) => f.line.productId === id))]));
  });
});
