import { buildCatalog, shopPrice, type SimulatedProduct } from './buildCatalog.js';
import { isoTime } from './isoTime.js';
import { createRandom, weighted, type Random } from './random.js';
import { ScheduleQueue } from './ScheduleQueue.js';
import { SIM_DOMAINS, simulatorSource, type DomainFact, type SimDomain } from './simulatedFact.js';
import {
  CARRIER_TRANSIT_DAYS,
  CARRIER_WEIGHTS,
  CARRIERS,
  CHANNEL_WEIGHTS,
  CHANNELS,
  HOME_WAREHOUSE,
  REGION_TRANSIT_PENALTY_DAYS,
  REGION_WEIGHTS,
  REGIONS,
  WAREHOUSES,
  type Region,
  type Warehouse,
} from './storyVocabulary.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Options of the simulated story; `generateFacts`, `generateFactStream` and `liveFacts` take them. */
export interface GenerateFactsOptions {
  /** Seed of the pseudo-random source: the same seed and range tell the same story. @default 42 */
  seed?: number;
  /** How many products the shop sells (`p001`, `p002`, ...). @default 50 */
  products?: number;
  /** Start of the story: every product is listed and counted in stock at this instant. */
  from: Date;
  /** End of the story, exclusive: only facts with a time before it are produced. */
  to: Date;
  /**
   * Mean orders per day over a week. Hours follow a daily curve (quiet at night UTC, busiest in the
   * evening) and weekends see about a third fewer orders than weekdays. @default 300
   */
  ordersPerDay?: number;
  /** Share of orders cancelled, a few hours after placement and before dispatch. @default 0.03 */
  cancellationRate?: number;
  /** Mean price changes per product per day. @default 0.02 */
  priceChangesPerProductDay?: number;
}

/** Live mode: the story continued one order at a time, at the caller's clock. */
export interface LiveFacts {
  /**
   * Facts scheduled earlier (dispatches, deliveries, cancellations, stock receipts) whose time is at or
   * before `now`, in time order, each with its scheduled time. Call it before `nextOrder(now)` so every
   * domain receives its facts in time order.
   */
  due(now: Date): DomainFact[];
  /** The facts of one order placed at `now`: the order, its stock movement, and at times a price change. */
  nextOrder(now: Date): DomainFact[];
  /** How many follow-ups wait in the schedule. */
  readonly pending: number;
}

/** How live mode continues the story. */
export interface GoLiveOptions {
  /**
   * Marks live ids (`sim-<seed>-<epoch>-<domain>-<n>`, `ord-<epoch>-...`) so that they never collide with
   * the seed history (`sim-<seed>-<YYYYMMDDHH>-...`) nor with an earlier live run. @default `live` + `to` in base 36 (ms), e.g. `livelxk3f9qo`
   */
  epoch?: string;
  /**
   * Keep the follow-ups of history orders that fall after `to` (shipments, cancellations, receipts).
   * Turn off when the history was not posted by this run: they would reference unknown orders.
   * @default true
   */
  carryOver?: boolean;
}

type PlacedOrder = {
  orderId: string;
  n: number;
  product: number;
  quantity: number;
  unitPrice: number;
  region: Region;
  channel: (typeof CHANNELS)[number];
  warehouse: Warehouse;
};
type Action =
  | { kind: 'order' }
  | { kind: 'cancel'; order: PlacedOrder }
  | { kind: 'dispatch'; order: PlacedOrder }
  | { kind: 'deliver'; shipment: Record<string, unknown> }
  | { kind: 'restock'; product: number; warehouse: Warehouse; quantity: number };

const ORDER: Action = { kind: 'order' };
/** Relative order volume per UTC hour: quiet at night, busiest in the evening. Normalised below. */
const HOURLY = [0.45, 0.3, 0.2, 0.15, 0.15, 0.2, 0.35, 0.6, 0.85, 1.05, 1.15, 1.2, 1.3, 1.25, 1.2, 1.2, 1.25, 1.35, 1.5, 1.65, 1.7, 1.5, 1.1, 0.75];
const HOURLY_MEAN = HOURLY.reduce((s, v) => s + v, 0) / 24;
/** Weekdays (Mon–Fri) 1.1, weekends 0.75: a weekly mean of 1. Indexed by `getUTCDay()`. */
const WEEKDAY = [0.75, 1.1, 1.1, 1.1, 1.1, 1.1, 0.75];
const CANCEL_REASONS = ['customer request', 'payment failed', 'found a better price', 'duplicate order', 'delivery too slow'];
const PROMISE_DAYS = 3;

/** `20240501` for the day of `date` (UTC). */
const dayTag = (date: Date) => date.toISOString().slice(0, 10).replaceAll('-', '');
/** `2024050113` for the UTC hour of `time` (ms). */
const hourTag = (time: number) => new Date(time).toISOString().slice(0, 13).replace(/[-T]/g, '');

/**
 * The simulated shop as a discrete-event simulation: orders arrive hour by hour, and each schedules its
 * follow-ups (dispatch → delivery, or cancellation; stock receipts) in a time-ordered queue. Facts come
 * out in time order across all domains, so each domain's facts are sorted too. Pure: no clock, no I/O.
 *
 * The history draws random numbers in an order that does not depend on `to`, so two runs with the same
 * seed and `from` agree on every fact before the earlier `to`: re-seeding the same day re-posts the same
 * ids, which the subgraphs drop as duplicates.
 */
export class Simulation {
  private readonly random: Random;
  private readonly seed: number;
  private readonly from: number;
  private readonly to: number;
  private readonly ordersPerHour: number;
  private readonly cancellationRate: number;
  private readonly priceChangeChance: number;
  private readonly catalog: SimulatedProduct[];
  private readonly prices: number[];
  /** Stock per product and warehouse; a warehouse absent from a product's map does not carry it. */
  private readonly stock: Array<Map<Warehouse, number>>;
  private readonly targets: Array<Map<Warehouse, number>>;
  private readonly restocking = new Set<string>();
  private readonly queue = new ScheduleQueue<Action>();
  private readonly counters: Record<SimDomain, number> = { catalog: 0, orders: 0, inventory: 0, shipping: 0 };
  private readonly idPrefixes = {} as Record<SimDomain, string>;
  /** The UTC hour (ms / 1 h) of each domain's last history fact. */
  private readonly slots: Record<SimDomain, number> = { catalog: -1, orders: -1, inventory: -1, shipping: -1 };
  /** `sim-<seed>-<YYYYMMDDHH>-<domain>-` of each domain's current slot: formatted once per hour, not per fact. */
  private readonly slotPrefixes: Record<SimDomain, string> = { catalog: '', orders: '', inventory: '', shipping: '' };
  private readonly pickProduct: (random: Random) => number;
  private readonly customers: number;
  private epoch = '';
  private orders = 0;
  private restockLeadHours: readonly [number, number] = [24, 72];
  private state: 'new' | 'history' | 'done' | 'live' = 'new';
  private out: DomainFact[] = [];

  constructor(options: GenerateFactsOptions) {
    const { seed = 42, products = 50, from, to, ordersPerDay = 300, cancellationRate = 0.03, priceChangesPerProductDay = 0.02 } = options;
    if (!(from instanceof Date) || !(to instanceof Date) || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
      throw new TypeError('from and to must be valid Dates');
    if (to.getTime() < from.getTime()) throw new RangeError(`to (${to.toISOString()}) is before from (${from.toISOString()})`);
    if (!Number.isInteger(products) || products < 1) throw new RangeError(`products must be a positive integer; got ${products}`);
    this.seed = seed;
    this.random = createRandom(seed);
    this.from = from.getTime();
    this.to = to.getTime();
    this.setEpoch(dayTag(from));
    this.ordersPerHour = ordersPerDay / 24;
    this.cancellationRate = cancellationRate;
    this.priceChangeChance = ordersPerDay > 0 ? Math.min(1, (priceChangesPerProductDay * products) / ordersPerDay) : 0;
    this.catalog = buildCatalog(this.random, products);
    this.prices = this.catalog.map((p) => p.price);
    this.pickProduct = weighted(
      this.catalog.map((_, i) => i),
      this.catalog.map((p) => p.popularity),
    );
    this.customers = Math.max(1000, Math.round(ordersPerDay * 20));
    this.stock = this.catalog.map(() => {
      const missing = this.random.chance(0.4) ? undefined : this.random.pick(WAREHOUSES);
      const stocked = WAREHOUSES.filter((w) => w !== missing);
      return new Map(stocked.map((w) => [w, this.random.int(50, 500)]));
    });
    this.targets = this.stock.map((levels) => new Map(levels));
  }

  /** The facts of `[from, to)` in time order. Can be consumed once; `goLive` continues after it. */
  *history(): Generator<DomainFact, void, undefined> {
    if (this.state !== 'new') throw new Error('the history of a simulation can be generated once');
    this.state = 'history';
    if (this.from >= this.to) {
      this.state = 'done';
      return;
    }
    this.listEverything(this.from);
    yield* this.take();
    let day = -1;
    let dayFactor = 1;
    for (let slot = this.from; slot < this.to; slot += HOUR) {
      const start = new Date(slot);
      const today = Math.floor(slot / DAY);
      if (today !== day) {
        day = today;
        dayFactor = Math.max(0.5, this.random.normal(1, 0.08)); // some days are simply busier
      }
      const lambda = (this.ordersPerHour * dayFactor * WEEKDAY[start.getUTCDay()] * HOURLY[start.getUTCHours()]) / HOURLY_MEAN;
      const arrivals: number[] = [];
      for (let n = this.random.poisson(lambda); n > 0; n--) arrivals.push(slot + Math.floor(this.random.next() * HOUR));
      arrivals.sort((a, b) => a - b);
      for (const time of arrivals) if (time < this.to) this.queue.push(time, ORDER);
      const until = Math.min(slot + HOUR, this.to);
      while (this.queue.peekTime() < until) {
        const { time, item } = this.queue.pop();
        this.perform(time, item);
        if (this.out.length) for (const fact of this.take()) yield fact;
      }
    }
    this.state = 'done';
  }

  /**
   * Continues the story after `to`, one order at a time. Generates (and discards) the history first when
   * it has not been consumed, so that stock levels and the schedule are those at `to`.
   */
  goLive(options: GoLiveOptions = {}): LiveFacts {
    const { epoch = `live${this.to.toString(36)}`, carryOver = true } = options;
    if (this.state === 'live') throw new Error('the simulation is already live');
    if (this.state === 'new') for (const _ of this.history());
    else if (this.state === 'history') throw new Error('finish consuming history() before going live');
    this.state = 'live';
    this.setEpoch(epoch);
    this.orders = 0;
    // Live orders arrive far faster than history orders; replenishment keeps pace in minutes, not days.
    this.restockLeadHours = [0.05, 0.25];
    if (!carryOver) {
      while (this.queue.size) this.queue.pop();
      this.restocking.clear();
    }
    const queue = this.queue;
    let clock = this.to;
    const advance = (now: Date) => (clock = Math.max(clock, now.getTime()));
    return {
      due: (now) => {
        const until = advance(now);
        while (this.queue.peekTime() <= until) {
          const { time, item } = this.queue.pop();
          this.perform(time, item);
        }
        return this.take();
      },
      nextOrder: (now) => {
        this.perform(advance(now), ORDER);
        return this.take();
      },
      get pending() {
        return queue.size;
      },
    };
  }

  /** Follow-ups happen on whole milliseconds, the resolution of event times. */
  private schedule(time: number, action: Action): void {
    this.queue.push(Math.floor(time), action);
  }

  private take(): DomainFact[] {
    const facts = this.out;
    this.out = [];
    return facts;
  }

  /** Ids restart at 1 under a new epoch marker: `sim-<seed>-<epoch>-<domain>-<n>`. */
  private setEpoch(epoch: string): void {
    this.epoch = epoch;
    for (const domain of SIM_DOMAINS) {
      this.counters[domain] = 0;
      this.idPrefixes[domain] = `sim-${this.seed}-${epoch}-${domain}-`;
    }
  }

  private emit(domain: SimDomain, type: string, time: number, data: Record<string, unknown>): void {
    const id = this.state === 'live' ? this.idPrefixes[domain] + ++this.counters[domain] : this.historyId(domain, time);
    this.out.push({ domain, event: { specversion: '1.0', id, source: simulatorSource(domain), type, time: isoTime(time), data } });
  }

  /**
   * History ids name the UTC hour of the fact and its rank within that hour and domain:
   * `sim-<seed>-<YYYYMMDDHH>-<domain>-<n>`. They do not depend on where the story started, so a seed that
   * resumes (or back-fills after downtime) and posts a slot again re-posts the same ids, which the
   * subgraphs drop as duplicates. Each domain's facts come in time order, so a counter per domain suffices.
   */
  private historyId(domain: SimDomain, time: number): string {
    const slot = Math.floor(time / HOUR);
    if (this.slots[domain] !== slot) {
      this.slots[domain] = slot;
      this.counters[domain] = 0;
      this.slotPrefixes[domain] = `sim-${this.seed}-${hourTag(time)}-${domain}-`;
    }
    return this.slotPrefixes[domain] + ++this.counters[domain];
  }

  private listEverything(time: number): void {
    for (const [i, product] of this.catalog.entries()) {
      this.emit('catalog', 'ProductListed', time, { productId: product.id, name: product.name, category: product.category, price: this.prices[i] });
    }
    for (const [i, levels] of this.stock.entries()) {
      for (const [warehouse, onHand] of levels) this.emit('inventory', 'StockCounted', time, { productId: this.catalog[i].id, warehouse, onHand });
    }
  }

  private perform(time: number, action: Action): void {
    switch (action.kind) {
      case 'order':
        return this.placeOrder(time);
      case 'cancel':
        return this.cancel(time, action.order);
      case 'dispatch':
        return this.dispatch(time, action.order);
      case 'deliver':
        return this.emit('shipping', 'ShipmentDelivered', time, action.shipment);
      case 'restock':
        this.restocking.delete(`${action.product}:${action.warehouse}`);
        return this.receive(time, action.product, action.warehouse, action.quantity);
    }
  }

  private placeOrder(time: number): void {
    const r = this.random;
    const product = this.pickProduct(r);
    const region = pickRegion(r);
    const quantity = this.catalog[product].price > 200 ? (r.chance(0.9) ? 1 : 2) : pickQuantity(r);
    const warehouse = this.fulfilFrom(time, product, region, quantity);
    const n = ++this.orders;
    const order: PlacedOrder = {
      orderId: `ord-${this.epoch}-${String(n).padStart(6, '0')}`,
      n,
      product,
      quantity,
      unitPrice: this.prices[product],
      region,
      channel: pickChannel(r),
      warehouse,
    };
    const customer = 1 + Math.floor(this.customers * r.next() ** 2); // returning customers buy more often
    this.emit('orders', 'OrderPlaced', time, { ...orderLine(order, this.catalog), customerEmail: `c${customer}@example.com` });
    this.adjust(time, product, warehouse, -quantity, 'sold');
    const dispatchDelay = r.float(2 * HOUR, 24 * HOUR);
    if (r.chance(this.cancellationRate)) this.schedule(time + r.float(0.5 * HOUR, dispatchDelay - 0.25 * HOUR), { kind: 'cancel', order });
    else this.schedule(time + dispatchDelay, { kind: 'dispatch', order });
    if (r.chance(this.priceChangeChance)) this.changePrice(time);
  }

  /** The warehouse that ships: the region's own when it has the stock, else the fullest; never negative. */
  private fulfilFrom(time: number, product: number, region: Region, quantity: number): Warehouse {
    const levels = this.stock[product];
    const home = HOME_WAREHOUSE[region];
    if ((levels.get(home) ?? -1) >= quantity) return home;
    let best: Warehouse | undefined;
    for (const [warehouse, onHand] of levels) if (best === undefined || onHand > levels.get(best)!) best = warehouse;
    const chosen = best!;
    // Sold out everywhere: an expedited delivery arrives just in time (rare in history, common live).
    if (levels.get(chosen)! < quantity) this.receive(time, product, chosen, this.restockQuantity(product, chosen));
    return chosen;
  }

  private adjust(time: number, product: number, warehouse: Warehouse, delta: number, reason: 'sold' | 'received' | 'returned'): void {
    const levels = this.stock[product];
    const onHand = levels.get(warehouse)! + delta;
    levels.set(warehouse, onHand);
    this.emit('inventory', 'StockAdjusted', time, { productId: this.catalog[product].id, warehouse, delta, reason });
    const key = `${product}:${warehouse}`;
    const reorderPoint = Math.max(25, Math.round(this.targets[product].get(warehouse)! * 0.25));
    if (delta < 0 && onHand <= reorderPoint && !this.restocking.has(key)) {
      this.restocking.add(key);
      const [min, max] = this.restockLeadHours;
      this.schedule(time + this.random.float(min * HOUR, max * HOUR), {
        kind: 'restock',
        product,
        warehouse,
        quantity: this.restockQuantity(product, warehouse),
      });
    }
  }

  private receive(time: number, product: number, warehouse: Warehouse, quantity: number): void {
    this.adjust(time, product, warehouse, quantity, 'received');
  }

  private restockQuantity(product: number, warehouse: Warehouse): number {
    return Math.max(10, Math.ceil((this.targets[product].get(warehouse)! * this.random.float(0.8, 1.2)) / 10) * 10);
  }

  private cancel(time: number, order: PlacedOrder): void {
    this.emit('orders', 'OrderCancelled', time, { ...orderLine(order, this.catalog), reason: this.random.pick(CANCEL_REASONS) });
    this.adjust(time, order.product, order.warehouse, order.quantity, 'returned');
  }

  private dispatch(time: number, order: PlacedOrder): void {
    const r = this.random;
    const carrier = pickCarrier[order.region](r);
    const shipment = {
      shipmentId: `shp-${this.epoch}-${String(order.n).padStart(6, '0')}`,
      orderId: order.orderId,
      productId: this.catalog[order.product].id,
      carrier,
      region: order.region,
      promisedAt: isoTime(time + PROMISE_DAYS * DAY),
    };
    this.emit('shipping', 'ShipmentDispatched', time, shipment);
    const transitDays = Math.min(6, Math.max(1, r.normal(CARRIER_TRANSIT_DAYS[carrier] + REGION_TRANSIT_PENALTY_DAYS[order.region], 0.8)));
    this.schedule(time + transitDays * DAY, { kind: 'deliver', shipment: { ...shipment, dispatchedAt: isoTime(time) } });
  }

  private changePrice(time: number): void {
    const product = this.random.int(0, this.catalog.length - 1);
    const factor = Math.min(1.3, Math.max(0.7, this.random.normal(1, 0.1)));
    this.prices[product] = shopPrice(this.prices[product] * factor);
    this.emit('catalog', 'ProductPriceChanged', time, { productId: this.catalog[product].id, price: this.prices[product] });
  }
}

const orderLine = (order: PlacedOrder, catalog: readonly SimulatedProduct[]) => ({
  orderId: order.orderId,
  productId: catalog[order.product].id,
  quantity: order.quantity,
  unitPrice: order.unitPrice,
  region: order.region,
  channel: order.channel,
});

const pickRegion = weighted(REGIONS, REGION_WEIGHTS);
const pickChannel = weighted(CHANNELS, CHANNEL_WEIGHTS);
const pickQuantity = weighted([1, 2, 3, 4, 5], [0.7, 0.2, 0.06, 0.03, 0.01]);
const pickCarrier = Object.fromEntries(REGIONS.map((region) => [region, weighted(CARRIERS, CARRIER_WEIGHTS[region])])) as Record<
  Region,
  (random: Random) => (typeof CARRIERS)[number]
>;
