import { cloudEventEnvelope } from '../../core/events/CloudEvent.js';
import { generateFacts, generateFactStream, liveFacts } from '../../simulator/generateFacts.js';
import { SIM_DOMAINS, type SimDomain, type SimulatedFact } from '../../simulator/simulatedFact.js';
import { FACT_SCHEMAS } from './fakeMesh.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const from = new Date('2024-03-04T00:00:00Z'); // a Monday
const to = new Date('2024-03-18T09:30:00Z');
const story = generateFacts({ from, to });
const all = SIM_DOMAINS.flatMap((domain) => story[domain].map((event) => ({ domain, event })));
const ofType = (domain: SimDomain, type: string) => story[domain].filter((e) => e.type === type);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe('generateFacts', () => {
  it('should tell the same story for the same seed and range', () => {
    expect(JSON.stringify(generateFacts({ from, to }))).toBe(JSON.stringify(story));
  });

  it('should tell a different story for a different seed', () => {
    const other = generateFacts({ from, to, seed: 7 });
    expect(other.orders.map((e) => e.data)).not.toEqual(story.orders.map((e) => e.data));
    expect(other.catalog.slice(0, 50).map((e) => e.data)).not.toEqual(story.catalog.slice(0, 50).map((e) => e.data));
  });

  it('should wrap every fact in a valid CloudEvents envelope whose data passes the domain schema', () => {
    const problems = all.flatMap(({ domain, event }) => {
      const envelope = cloudEventEnvelope.safeParse(event);
      if (!envelope.success) return [`${event.id}: envelope: ${envelope.error.message}`];
      if (event.specversion !== '1.0' || event.source !== `urn:mesh:simulator:${domain}` || !RFC3339.test(event.time)) return [`${event.id}: envelope fields`];
      const parsed = FACT_SCHEMAS[domain][event.type]?.safeParse(event.data);
      return parsed?.success ? [] : [`${event.id} (${event.type}): ${parsed?.error.message ?? 'unknown type'}`];
    });
    expect(problems).toEqual([]);
    expect(new Set(all.map(({ event }) => event.type))).toEqual(new Set(SIM_DOMAINS.flatMap((d) => Object.keys(FACT_SCHEMAS[d]))));
  });

  it('should give every fact a unique id marked with seed, the UTC hour of the fact, domain and rank in that hour', () => {
    const ids = all.map(({ event }) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    const hourOf = (time: string) => time.slice(0, 13).replace(/[-T]/g, '');
    expect(all.filter(({ domain, event }) => !new RegExp(`^sim-42-${hourOf(event.time)}-${domain}-\\d+$`).test(event.id))).toEqual([]);
    const firstOrders = story.orders.filter((e) => e.time.startsWith('2024-03-04T12')).map((e) => e.id);
    expect(firstOrders).toEqual(firstOrders.map((_, i) => `sim-42-2024030412-orders-${i + 1}`));
  });

  it('should give the facts of an hour the same ids whichever day the story starts', () => {
    // Re-posting a slot from a story anchored on another day adds nothing: the ids of its facts are known already.
    const later = generateFacts({ from: new Date('2024-03-05T00:00:00Z'), to });
    const slotIds = (facts: SimulatedFact[]) => facts.filter((e) => e.time.startsWith('2024-03-10T18')).map((e) => e.id);
    expect(slotIds(later.orders)[0]).toBe(slotIds(story.orders)[0]);
  });

  it('should keep times within [from, to) and each domain in time order', () => {
    for (const domain of SIM_DOMAINS) {
      const times = story[domain].map((e) => Date.parse(e.time));
      expect(times.filter((t) => t < from.getTime() || t >= to.getTime())).toEqual([]);
      expect(times.findIndex((t, i) => i > 0 && t < times[i - 1])).toBe(-1);
    }
  });

  it('should list every product and count its stock in 2 or 3 warehouses at from', () => {
    const listed = ofType('catalog', 'ProductListed');
    expect(listed.map((e) => e.data.productId)).toEqual(Array.from({ length: 50 }, (_, i) => `p${String(i + 1).padStart(3, '0')}`));
    expect(new Set(listed.map((e) => e.data.name)).size).toBe(50);
    expect(new Set(listed.map((e) => e.data.category))).toEqual(new Set(['shoes', 'apparel', 'outdoor', 'electronics', 'home']));
    for (const e of [...listed, ...ofType('catalog', 'ProductPriceChanged')]) {
      expect(e.data.price).toBeGreaterThanOrEqual(5);
      expect(e.data.price).toBeLessThanOrEqual(500);
    }
    const counted = ofType('inventory', 'StockCounted');
    for (const e of [...listed, ...counted]) expect(e.time).toBe(from.toISOString());
    const warehousesPerProduct = new Map<unknown, number>();
    for (const e of counted) {
      warehousesPerProduct.set(e.data.productId, (warehousesPerProduct.get(e.data.productId) ?? 0) + 1);
      expect(e.data.onHand).toBeGreaterThanOrEqual(50);
      expect(e.data.onHand).toBeLessThanOrEqual(500);
    }
    expect(warehousesPerProduct.size).toBe(50);
    for (const n of warehousesPerProduct.values()) expect([2, 3]).toContain(n);
  });

  it('should move stock for every order and cancellation and never below zero', () => {
    const inventory = story.inventory;
    const sold = inventory.filter((e) => e.data.reason === 'sold');
    const placed = ofType('orders', 'OrderPlaced');
    expect(sold.map((e) => [e.time, e.data.productId, -Number(e.data.delta)])).toEqual(placed.map((e) => [e.time, e.data.productId, e.data.quantity]));
    expect(inventory.filter((e) => e.data.reason === 'returned')).toHaveLength(ofType('orders', 'OrderCancelled').length);
    expect(inventory.filter((e) => e.data.reason === 'received').length).toBeGreaterThan(0);
    const onHand = new Map<string, number>();
    const negative: string[] = [];
    for (const e of inventory) {
      const key = `${e.data.productId}@${e.data.warehouse}`;
      const level = e.type === 'StockCounted' ? Number(e.data.onHand) : (onHand.get(key) ?? NaN) + Number(e.data.delta);
      if (!(level >= 0)) negative.push(`${e.id}: ${key} at ${level}`);
      onHand.set(key, level);
    }
    expect(negative).toEqual([]);
  });

  it('should ship only placed, uncancelled orders, deliver after dispatch and promise three days', () => {
    const placed = new Map(ofType('orders', 'OrderPlaced').map((e) => [e.data.orderId, e]));
    const cancelled = new Set(ofType('orders', 'OrderCancelled').map((e) => e.data.orderId));
    const dispatched = new Map(ofType('shipping', 'ShipmentDispatched').map((e) => [e.data.shipmentId, e]));
    const problems: string[] = [];
    for (const e of dispatched.values()) {
      const order = placed.get(e.data.orderId);
      if (!order) problems.push(`${e.id}: order ${e.data.orderId} was never placed`);
      else {
        const delay = Date.parse(e.time) - Date.parse(order.time);
        if (cancelled.has(e.data.orderId)) problems.push(`${e.id}: ships a cancelled order`);
        if (delay < 2 * HOUR || delay > 24 * HOUR) problems.push(`${e.id}: dispatched ${delay} ms after the order`);
        if (e.data.productId !== order.data.productId || e.data.region !== order.data.region)
          problems.push(`${e.id}: product or region differs from the order`);
      }
      if (Date.parse(String(e.data.promisedAt)) !== Date.parse(e.time) + 3 * DAY) problems.push(`${e.id}: promisedAt is not dispatch + 3 days`);
      if (!['dhl', 'ups', 'fedex', 'postnl'].includes(String(e.data.carrier))) problems.push(`${e.id}: carrier ${e.data.carrier}`);
    }
    const delivered = ofType('shipping', 'ShipmentDelivered');
    let onTime = 0;
    for (const e of delivered) {
      const dispatch = dispatched.get(e.data.shipmentId);
      if (!dispatch) {
        problems.push(`${e.id}: delivered but never dispatched`);
        continue;
      }
      const transit = Date.parse(e.time) - Date.parse(dispatch.time);
      if (e.data.dispatchedAt !== dispatch.time) problems.push(`${e.id}: dispatchedAt differs from the dispatch`);
      if (transit < DAY || transit > 6 * DAY) problems.push(`${e.id}: transit of ${transit} ms`);
      if (Date.parse(e.time) <= Date.parse(String(e.data.promisedAt))) onTime++;
    }
    expect(problems).toEqual([]);
    expect(delivered.length).toBeGreaterThan(0.8 * dispatched.size);
    expect(onTime / delivered.length).toBeGreaterThan(0.65);
    expect(onTime / delivered.length).toBeLessThan(0.97);
  });

  it('should cancel about 3% of orders some hours after placement', () => {
    const placed = new Map(ofType('orders', 'OrderPlaced').map((e) => [e.data.orderId, e]));
    const cancellations = ofType('orders', 'OrderCancelled');
    expect(cancellations.length / placed.size).toBeGreaterThan(0.015);
    expect(cancellations.length / placed.size).toBeLessThan(0.05);
    for (const e of cancellations) {
      const order = placed.get(e.data.orderId)!;
      expect(e.data).toMatchObject({ productId: order.data.productId, quantity: order.data.quantity, unitPrice: order.data.unitPrice });
      const after = Date.parse(e.time) - Date.parse(order.time);
      expect(after).toBeGreaterThanOrEqual(HOUR / 2);
      expect(after).toBeLessThan(24 * HOUR);
    }
  });

  it('should place fewer orders at night and on weekends', () => {
    const placed = ofType('orders', 'OrderPlaced').map((e) => new Date(e.time));
    const perDay = placed.length / ((to.getTime() - from.getTime()) / DAY);
    expect(perDay).toBeGreaterThan(240);
    expect(perDay).toBeLessThan(360);
    const byHour = (hours: number[]) => placed.filter((d) => hours.includes(d.getUTCHours())).length;
    expect(byHour([1, 2, 3, 4])).toBeLessThan(byHour([17, 18, 19, 20]) / 3);
    const fullDays = placed.filter((d) => d.getTime() < Date.parse('2024-03-18T00:00:00Z'));
    const weekend = fullDays.filter((d) => d.getUTCDay() === 0 || d.getUTCDay() === 6).length / 4;
    const weekday = fullDays.filter((d) => d.getUTCDay() !== 0 && d.getUTCDay() !== 6).length / 10;
    expect(weekend).toBeLessThan(weekday * 0.85);
  });

  it('should agree on every fact before the earlier end when only to changes', () => {
    const shorter = generateFacts({ from, to: new Date('2024-03-10T15:00:00Z') });
    for (const domain of SIM_DOMAINS) {
      const prefix = story[domain].filter((e) => e.time < '2024-03-10T15:00:00.000Z');
      expect(JSON.stringify(shorter[domain])).toBe(JSON.stringify(prefix));
    }
  });

  it('should stream the same facts in time order across domains', () => {
    const streamed = [...generateFactStream({ from, to })];
    expect(streamed).toHaveLength(all.length);
    expect(streamed.findIndex((f, i) => i > 0 && f.event.time < streamed[i - 1].event.time)).toBe(-1);
    for (const domain of SIM_DOMAINS) {
      const ids = streamed.filter((f) => f.domain === domain).map((f) => f.event.id);
      expect(ids).toEqual(story[domain].map((e) => e.id));
    }
  });

  it('should generate 90 days at the defaults', () => {
    const end = new Date('2024-06-02T13:45:00Z');
    const started = performance.now();
    const history = generateFacts({ from: new Date(Date.UTC(2024, 2, 4)), to: end });
    const ms = performance.now() - started;
    const counts = Object.fromEntries(SIM_DOMAINS.map((d) => [d, history[d].length]));
    const total = SIM_DOMAINS.reduce((sum, d) => sum + history[d].length, 0);
    console.log(`90 days (+ a partial day) at the defaults: ${total} facts in ${ms.toFixed(0)} ms`, counts);
    expect(total).toBeGreaterThan(80_000);
    expect(total).toBeLessThan(140_000);
  });
});

describe('liveFacts', () => {
  const liveFrom = new Date('2024-03-04T00:00:00Z');
  const liveTo = new Date('2024-03-06T12:00:00Z');
  const history = generateFacts({ from: liveFrom, to: liveTo });
  const historyIds = new Set(SIM_DOMAINS.flatMap((d) => history[d].map((e) => e.id)));
  const validate = (domain: SimDomain, event: SimulatedFact) => expect(FACT_SCHEMAS[domain][event.type].safeParse(event.data).success).toBe(true);

  it('should place one order with its stock movement at now, with ids unlike the history', () => {
    const live = liveFacts({ from: liveFrom, to: liveTo, epoch: 'live1' });
    const now = new Date(liveTo.getTime() + 5000);
    const facts = live.nextOrder(now);
    const placed = facts.filter((f) => f.event.type === 'OrderPlaced');
    expect(placed).toHaveLength(1);
    const sold = facts.find((f) => f.event.type === 'StockAdjusted' && f.event.data.reason === 'sold');
    expect(sold?.event.data).toMatchObject({ productId: placed[0].event.data.productId, delta: -Number(placed[0].event.data.quantity) });
    for (const { domain, event } of facts) {
      expect(event.time).toBe(now.toISOString());
      expect(historyIds.has(event.id)).toBe(false);
      expect(event.id).toMatch(/^sim-42-live1-/);
      validate(domain, event);
    }
    expect(placed[0].event.data.orderId).toMatch(/^ord-live1-/);
  });

  it('should release the follow-ups of history and live orders when they fall due', () => {
    const live = liveFacts({ from: liveFrom, to: liveTo });
    expect(live.pending).toBeGreaterThan(0); // orders near `to` await dispatch and delivery
    const placedAt = new Date(liveTo.getTime() + 1000);
    const orderId = live.nextOrder(placedAt).find((f) => f.event.type === 'OrderPlaced')!.event.data.orderId;
    const released = [...live.due(new Date(liveTo.getTime() + HOUR)), ...live.due(new Date(liveTo.getTime() + 10 * DAY))];
    expect(live.pending).toBe(0);
    const times = released.map((f) => f.event.time);
    expect(times).toEqual([...times].sort());
    const historyOrders = new Set(history.orders.map((e) => e.data.orderId));
    const shipped = released.filter((f) => f.domain === 'shipping');
    expect(shipped.some((f) => historyOrders.has(f.event.data.orderId))).toBe(true);
    const types = released
      .filter((f) => f.event.data.orderId === orderId)
      .map((f) => f.event.type)
      .sort();
    expect([['OrderCancelled'], ['ShipmentDelivered', 'ShipmentDispatched']]).toContainEqual(types);
    for (const { domain, event } of released) {
      expect(Date.parse(event.time)).toBeGreaterThanOrEqual(liveTo.getTime());
      validate(domain, event);
    }
  });

  it('should drop the history follow-ups when told not to carry them over', () => {
    expect(liveFacts({ from: liveFrom, to: liveTo, carryOver: false }).pending).toBe(0);
  });
});
