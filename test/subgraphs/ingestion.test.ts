import { startTestSubgraph, type TestSubgraph } from '../support/startTestSubgraph.js';
import { cloudEvent, orderPlaced } from './cloudEvents.js';

const TOTALS = /* GraphQL */ `
  query Totals($from: DateTime!, $to: DateTime!) {
    orderHistory(range: { from: $from, to: $to }, granularity: DAY) {
      total {
        orders
        cancellations
        units
        revenue
      }
    }
  }
`;

describe('orders ingestion (POST /events)', () => {
  let orders: TestSubgraph;
  beforeEach(async () => {
    orders = await startTestSubgraph('orders');
  });
  afterEach(() => orders?.close());

  /** Net totals of every fact of 2025, as the history port reports them. */
  async function totals() {
    const { data, errors } = await orders.graphql(TOTALS, { from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(errors).toBeUndefined();
    return data.orderHistory.total;
  }

  /** Posts one event expecting a 400 that names `field`; returns the reason. */
  async function expectRejected(event: unknown, field: string): Promise<string> {
    const { status, body } = await orders.postEvents(event);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'BAD_EVENT', field });
    expect(body.rejected).toBe(1);
    expect(body.events[0]).toMatchObject({ index: 0, status: 'rejected', field });
    return body.error.message;
  }

  it('should apply a good event and answer 200', async () => {
    const event = orderPlaced('2025-03-01T10:00:00Z', { quantity: 3, unitPrice: 12.5 });

    const { status, body } = await orders.postEvents(event);

    expect(status).toBe(200);
    expect(body).toMatchObject({ applied: 1, duplicates: 0, rejected: 0, events: [{ index: 0, status: 'applied', source: event.source, id: event.id }] });
    expect(await totals()).toEqual({ orders: 1, cancellations: 0, units: 3, revenue: 37.5 });
  });

  it('should report the same event again as a duplicate and leave the totals unchanged', async () => {
    const event = orderPlaced('2025-03-01T10:00:00Z', { quantity: 3, unitPrice: 12.5 });
    await orders.postEvents(event);

    const { status, body } = await orders.postEvents(event);

    expect(status).toBe(200);
    expect(body).toMatchObject({ applied: 0, duplicates: 1, rejected: 0, events: [{ status: 'duplicate', id: event.id }] });
    expect(await totals()).toEqual({ orders: 1, cancellations: 0, units: 3, revenue: 37.5 });
    expect(await orders.runtime.store.factCount()).toBe(1);
  });

  it('should answer 400 BAD_EVENT to a body that is not JSON and dead-letter it', async () => {
    const { status, body } = await orders.postRaw('{"specversion": "1.0", "id": ');

    expect(status).toBe(400);
    expect(body.error.code).toBe('BAD_EVENT');
    expect(body.error.message).toMatch(/not JSON/);
    const letters = await orders.runtime.store.deadLetters(10);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ source: null, id: null, event: '{"specversion": "1.0", "id": ' });
    expect(letters[0].reason).toMatch(/not JSON/);
  });

  it('should reject a payload field of the wrong type, naming data.quantity, and dead-letter the event', async () => {
    const event = orderPlaced('2025-03-01T10:00:00Z');
    const bad = { ...event, data: { ...event.data, quantity: 'two' } };

    const reason = await expectRejected(bad, 'data.quantity');

    expect(reason).toMatch(/^data\.quantity: /);
    const [letter] = await orders.runtime.store.deadLetters(10);
    expect(letter).toMatchObject({ source: event.source, id: event.id, type: 'OrderPlaced', reason });
    expect((letter.event as { data: { quantity: unknown } }).data.quantity).toBe('two');
    expect(await totals()).toEqual({ orders: 0, cancellations: 0, units: 0, revenue: 0 });
  });

  it('should reject an unknown fact type, naming type', async () => {
    const reason = await expectRejected(cloudEvent('OrderTeleported', '2025-03-01T10:00:00Z', { orderId: 'o1' }), 'type');

    expect(reason).toMatch(/OrderTeleported/);
    expect(reason).toMatch(/OrderPlaced, OrderCancelled/);
  });

  it('should reject a NUL character in a payload string, naming the field', async () => {
    const event = orderPlaced('2025-03-01T10:00:00Z');
    const bad = { ...event, data: { ...event.data, region: 'eu\u0000west' } };

    expect(await expectRejected(bad, 'data.region')).toMatch(/NUL/);
    expect(await totals()).toEqual({ orders: 0, cancellations: 0, units: 0, revenue: 0 });
  });

  it('should reject an envelope without specversion, naming specversion', async () => {
    const { specversion: _, ...event } = orderPlaced('2025-03-01T10:00:00Z');

    expect(await expectRejected(event, 'specversion')).toMatch(/specversion/);
  });

  it('should reject an envelope without time, naming time', async () => {
    const { time: _, ...event } = orderPlaced('2025-03-01T10:00:00Z');

    expect(await expectRejected(event, 'time')).toMatch(/time/);
  });

  it('should answer 207 to a batch with a bad event, apply the good ones and report the bad one by index', async () => {
    const good = [1, 2, 3].map((quantity, i) => orderPlaced(`2025-03-01T1${i}:00:00Z`, { quantity, unitPrice: 10 }));
    const bad = { ...orderPlaced('2025-03-01T13:00:00Z'), data: { orderId: 'o-bad' } };

    const { status, body } = await orders.postEvents([good[0], good[1], bad, good[2]]);

    expect(status).toBe(207);
    expect(body).toMatchObject({ applied: 3, duplicates: 0, rejected: 1 });
    expect(body.events.map((e: { index: number; status: string }) => [e.index, e.status])).toEqual([
      [0, 'applied'],
      [1, 'applied'],
      [2, 'rejected'],
      [3, 'applied'],
    ]);
    expect(body.events[2]).toMatchObject({ id: bad.id, field: expect.stringMatching(/^data\./) });
    expect(await totals()).toEqual({ orders: 3, cancellations: 0, units: 6, revenue: 60 });
    const letters = await orders.runtime.store.deadLetters(10);
    expect(letters.map((l) => l.id)).toEqual([bad.id]);
  });

  it('should reject an event dated further in the future than the clock-skew tolerance', async () => {
    const reason = await expectRejected(orderPlaced(new Date(Date.now() + 3_600_000)), 'time');

    expect(reason).toMatch(/future/);
    expect(await orders.runtime.store.factCount()).toBe(0);
  });

  it('should reject an event older than the lateness window behind the watermark, and accept one inside it', async () => {
    await orders.postEvents(orderPlaced('2025-03-10T12:00:00Z'));

    const reason = await expectRejected(orderPlaced('2025-03-02T12:00:00Z'), 'time');
    const inside = await orders.postEvents(orderPlaced('2025-03-04T12:00:00Z'));

    expect(reason).toMatch(/lateness window/);
    expect(reason).toMatch(/2025-03-10T12:00:00.000Z/);
    expect(inside.status).toBe(200);
    expect(await totals()).toMatchObject({ orders: 2 });
  });

  it('should answer 400 BAD_EVENT to an empty batch', async () => {
    const { status, body } = await orders.postEvents([]);

    expect(status).toBe(400);
    expect(body.error.code).toBe('BAD_EVENT');
    expect(body.error.message).toMatch(/empty batch/);
  });
});
