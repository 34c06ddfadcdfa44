import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { operationLabeller } from '../../../core/observability/operationLabels.js';

/** Options of {@link createProductMetrics}. */
export interface ProductMetricsOptions {
  /** The data product's domain: the `product` label of every product series. */
  domain: string;
  /** Also export Node's process metrics (CPU, memory, event loop lag, GC). @default true */
  processMetrics?: boolean;
  /**
   * Most distinct operation names kept as label values; later names count as `(other)` (every label
   * value is a series Prometheus keeps, and names come from callers).
   * @default 200
   */
  maxOperationNames?: number;
}

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A subgraph's Prometheus series (one registry per served product, so several in one process never
 * share counters) and the calls that feed them.
 */
export interface ProductMetrics {
  readonly registry: Registry;
  readonly domain: string;
  /** An HTTP request answered: `route` is a known path or `other`. */
  httpAnswered(method: string, route: string, status: number, seconds: number): void;
  /** A GraphQL operation answered, with the public codes of its errors. */
  operationAnswered(operation: { name: string | null; type: string | null }, seconds: number, errorCodes: readonly string[]): void;
  /** Facts a store apply took: `applied` new ones, `duplicates` already there (idempotent re-posts). */
  factsApplied(applied: number, duplicates: number): void;
  /** A dead letter was recorded (a rejected fact, or a body that was not even JSON). */
  deadLettered(): void;
  /** One store call: `operation` is the Store method. */
  storeCalled(operation: string, seconds: number, outcome: 'ok' | 'error'): void;
  /** Change events published to the bus. */
  changeEventsPublished(count: number, outcome: 'ok' | 'error'): void;
  /**
   * A change event's subscription value was computed, `seconds` after the event was published (its facts
   * committed): once per event and sharing key, however many subscriptions deliver it. What live
   * subscribers wait in this subgraph before the value is sent.
   */
  changeEventComputed(seconds: number): void;
  /**
   * A bus subscription opened (a GraphQL subscription's, or the event mesh relay's): counted in
   * `mesh_data_product_subscriptions` until the returned call (idempotent) says it ended.
   */
  subscriptionOpened(): () => void;
  /** Bus subscriptions open now, as `mesh_data_product_subscriptions` reports them. */
  openSubscriptions(): number;
  /**
   * Freshness on every scrape: `now − watermark` as `mesh_data_product_lag_seconds` (absent before the
   * first fact), and the watermark itself. A throwing `read` leaves both absent for that scrape.
   */
  watchFreshness(read: () => Promise<Date | null>, now?: () => number): void;
}

/** The product's metrics, in a registry of their own. */
export function createProductMetrics(options: ProductMetricsOptions): ProductMetrics {
  const { domain, processMetrics = true, maxOperationNames = 200 } = options;
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const product = domain;
  const httpDuration = new Histogram({
    name: 'mesh_subgraph_http_request_duration_seconds',
    help: 'HTTP requests answered by the subgraph, by product, method, route and status',
    labelNames: ['product', 'method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const operationDuration = new Histogram({
    name: 'mesh_subgraph_operation_duration_seconds',
    help: 'GraphQL operations answered by the subgraph, by product, operation name, type and outcome',
    labelNames: ['product', 'operation', 'type', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'mesh_subgraph_errors_total',
    help: 'GraphQL errors returned by the subgraph, by product and public code',
    labelNames: ['product', 'code'] as const,
    registers,
  });
  const facts = new Counter({
    name: 'mesh_data_product_facts_total',
    help: 'Facts ingested, by product and outcome (applied, duplicate, rejected)',
    labelNames: ['product', 'outcome'] as const,
    registers,
  });
  const deadLetters = new Counter({
    name: 'mesh_data_product_dead_letters_total',
    help: 'Dead letters recorded, by product',
    labelNames: ['product'] as const,
    registers,
  });
  const storeDuration = new Histogram({
    name: 'mesh_data_product_store_duration_seconds',
    help: 'Store calls, by product, operation and outcome',
    labelNames: ['product', 'operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const published = new Counter({
    name: 'mesh_data_product_change_events_total',
    help: 'Change events published to the bus, by product and outcome',
    labelNames: ['product', 'outcome'] as const,
    registers,
  });
  const eventDelay = new Histogram({
    name: 'mesh_data_product_change_event_delay_seconds',
    help: 'From a change event published (its facts committed) to its subscription value computed, once per event and sharing key, by product',
    labelNames: ['product'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const subscriptions = new Gauge({
    name: 'mesh_data_product_subscriptions',
    help: 'Bus subscriptions open on this replica (GraphQL subscriptions and the event mesh relay), by product',
    labelNames: ['product'] as const,
    registers,
  });
  subscriptions.set({ product }, 0);
  let open = 0;
  const operationLabels = operationLabeller(maxOperationNames);
  return {
    registry,
    domain,
    httpAnswered: (method, route, status, seconds) => httpDuration.observe({ product, method, route, status: String(status) }, seconds),
    operationAnswered: (operation, seconds, errorCodes) => {
      operationDuration.observe({ product, ...operationLabels(operation, errorCodes) }, seconds);
      for (const code of errorCodes) errors.inc({ product, code });
    },
    factsApplied: (applied, duplicates) => {
      facts.inc({ product, outcome: 'applied' }, applied);
      facts.inc({ product, outcome: 'duplicate' }, duplicates);
    },
    deadLettered: () => {
      facts.inc({ product, outcome: 'rejected' });
      deadLetters.inc({ product });
    },
    storeCalled: (operation, seconds, outcome) => storeDuration.observe({ product, operation, outcome }, seconds),
    changeEventsPublished: (count, outcome) => published.inc({ product, outcome }, count),
    changeEventComputed: (seconds) => eventDelay.observe({ product }, seconds),
    subscriptionOpened: () => {
      subscriptions.set({ product }, ++open);
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        subscriptions.set({ product }, --open);
      };
    },
    openSubscriptions: () => open,
    watchFreshness: (read, now = Date.now) => {
      const watermarkOf = async () => {
        try {
          return await read();
        } catch {
          return null;
        }
      };
      new Gauge({
        name: 'mesh_data_product_lag_seconds',
        help: 'Freshness: seconds between now and the watermark (newest fact time), by product; absent before the first fact',
        labelNames: ['product'] as const,
        registers,
        async collect() {
          this.reset();
          const watermark = await watermarkOf();
          if (watermark) this.set({ product }, Math.max(0, (now() - watermark.getTime()) / 1000));
        },
      });
      new Gauge({
        name: 'mesh_data_product_watermark_timestamp_seconds',
        help: 'The watermark (newest fact time) as a Unix time, by product; absent before the first fact',
        labelNames: ['product'] as const,
        registers,
        async collect() {
          this.reset();
          const watermark = await watermarkOf();
          if (watermark) this.set({ product }, watermark.getTime() / 1000);
        },
      });
    },
  };
}
