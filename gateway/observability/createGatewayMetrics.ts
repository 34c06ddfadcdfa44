import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { operationLabeller } from '../../core/observability/operationLabels.js';

/** Options of {@link createGatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event loop lag, GC). @default true */
  processMetrics?: boolean;
  /**
   * Most distinct operation names kept as label values; later names count as `(other)`. Operation names
   * come from clients, and every distinct label value is a series Prometheus must keep.
   * @default 200
   */
  maxOperationNames?: number;
}

/** Seconds; from a cached hit to a slow fan-out over several subgraphs. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The gateway's Prometheus series (one registry per gateway, so several gateways in one process, as in
 * tests, never share counters) and the calls that feed them. The subscription path calls the
 * `websocket*`, `subscription*` functions (see docs/architecture.md "Observability").
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** An HTTP request answered: `route` is a known path or `other`. */
  httpAnswered(method: string, route: string, status: number, seconds: number): void;
  /** A GraphQL operation answered (HTTP or websocket), with the public codes of its errors. */
  operationAnswered(operation: { name: string | null; type: string | null }, seconds: number, errorCodes: readonly string[]): void;
  /**
   * Errors returned to clients outside an answered operation (`mesh_gateway_errors_total` by code): a
   * request refused before the GraphQL pipeline (a body too large, a rate limit), or a subscription
   * event's errors, counted once per client that got them.
   * @param count @default 1
   */
  errorsReturned(code: string, count?: number): void;
  /**
   * One HTTP request to a subgraph (queries, mutations and subscription entity fetches; each retry), or
   * one fetch an open breaker refused: `outcome` is `ok`, `http_error`, `timeout`, `connection_error`,
   * `error` or `circuit_open` (gateway/upstream/createSubgraphClient.ts).
   */
  subgraphFetched(subgraph: string, seconds: number, outcome: string): void;
  /** A subgraph's circuit breaker changed state (`mesh_gateway_subgraph_breaker_state`: 0 closed, 1 half-open, 2 open). */
  breakerChanged(subgraph: string, state: 'closed' | 'half-open' | 'open'): void;
  /**
   * The subgraphs the gateway fetches from (each supergraph in service): a breaker not heard of yet reads 0
   * (closed), so a panel or an alert on the gauge has data on a healthy gateway.
   */
  subgraphsServed(subgraphs: readonly string[]): void;
  /** A field authorization decision denied these coordinates (`Type.field`), or refused a request (none). */
  authDenied(coordinates: readonly string[]): void;
  /** A graphql-ws client connected. */
  websocketOpened(): void;
  /** A graphql-ws client disconnected. */
  websocketClosed(): void;
  /**
   * Client subscriptions (`mesh_gateway_subscriptions_active`) and upstream subscriptions to subgraphs
   * (`mesh_gateway_upstream_subscriptions`), read at each scrape; null (no executor yet) reads as 0.
   */
  watchSubscriptions(read: () => { clients: number; upstreams: number } | null): void;
  /** Subscription messages written to clients' sockets. @param count @default 1 */
  subscriptionDelivered(count?: number): void;
  /**
   * Subscription messages not delivered, by `reason` (`slow-consumer`: waiting when a client too far
   * behind was cut off; it resumes from its last cursor on reconnect).
   */
  subscriptionDropped(reason: string, count?: number): void;
  /** One upstream event fanned out: from its arrival at the gateway to its last client's socket write. */
  subscriptionFannedOut(seconds: number): void;
  /**
   * One upstream event resolved: from its arrival at the gateway to its payload handed to the clients
   * (the rest of the plan's entity fetches, the authorization replay and the JSON encoding, once per group).
   */
  subscriptionEventResolved(seconds: number): void;
}

const BREAKER_STATES = { closed: 0, 'half-open': 1, open: 2 } as const;

/** The gateway's metrics, in a registry of their own. */
export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const { processMetrics = true, maxOperationNames = 200 } = options;
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const httpDuration = new Histogram({
    name: 'mesh_gateway_http_request_duration_seconds',
    help: 'HTTP requests answered by the gateway, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const operationDuration = new Histogram({
    name: 'mesh_gateway_operation_duration_seconds',
    help: 'GraphQL operations answered by the gateway, by operation name, type and outcome',
    labelNames: ['operation', 'type', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'mesh_gateway_errors_total',
    help: 'GraphQL errors returned to clients, by public code',
    labelNames: ['code'] as const,
    registers,
  });
  const fetchDuration = new Histogram({
    name: 'mesh_gateway_subgraph_fetch_duration_seconds',
    help: 'Fetches from the gateway to subgraphs, by subgraph and outcome',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const denials = new Counter({
    name: 'mesh_gateway_auth_denials_total',
    help: 'Field authorization denials by schema coordinate (`(request)` for a request refused before any field was decided)',
    labelNames: ['coordinate'] as const,
    registers,
  });
  const breakers = new Gauge({
    name: 'mesh_gateway_subgraph_breaker_state',
    help: "A subgraph's circuit breaker: 0 closed, 1 half-open (probing), 2 open (failing fast)",
    labelNames: ['subgraph'] as const,
    registers,
  });
  const websocketClients = new Gauge({ name: 'mesh_gateway_websocket_clients', help: 'Open graphql-ws client connections', registers });
  let readSubscriptions: () => { clients: number; upstreams: number } | null = () => null;
  new Gauge({
    name: 'mesh_gateway_subscriptions_active',
    help: 'Client subscriptions in progress',
    registers,
    collect() {
      this.set(readSubscriptions()?.clients ?? 0);
    },
  });
  new Gauge({
    name: 'mesh_gateway_upstream_subscriptions',
    help: 'Upstream subscriptions the gateway holds to subgraphs (shared by identical client subscriptions)',
    registers,
    collect() {
      this.set(readSubscriptions()?.upstreams ?? 0);
    },
  });
  const delivered = new Counter({ name: 'mesh_gateway_subscription_events_delivered_total', help: 'Events pushed to client subscriptions', registers });
  const dropped = new Counter({
    name: 'mesh_gateway_subscription_events_dropped_total',
    help: 'Events not delivered to a client subscription, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const fanout = new Histogram({
    name: 'mesh_gateway_subscription_fanout_seconds',
    help: "Subscription events, from the upstream event's arrival at the gateway to the last client's frame written to its socket",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const resolved = new Histogram({
    name: 'mesh_gateway_subscription_event_resolve_seconds',
    help: "Subscription events, from the upstream event's arrival at the gateway to its payload handed to the group's clients (rest of plan, auth, encoding)",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const operationLabels = operationLabeller(maxOperationNames);
  /** Subgraphs whose breaker gauge has a sample. */
  const breakersKnown = new Set<string>();
  return {
    registry,
    httpAnswered: (method, route, status, seconds) => httpDuration.observe({ method, route, status: String(status) }, seconds),
    operationAnswered: (operation, seconds, errorCodes) => {
      operationDuration.observe(operationLabels(operation, errorCodes), seconds);
      for (const code of errorCodes) errors.inc({ code });
    },
    errorsReturned: (code, count = 1) => errors.inc({ code }, count),
    subgraphFetched: (subgraph, seconds, outcome) => fetchDuration.observe({ subgraph, outcome }, seconds),
    breakerChanged: (subgraph, state) => {
      breakersKnown.add(subgraph);
      breakers.set({ subgraph }, BREAKER_STATES[state]);
    },
    subgraphsServed: (subgraphs) => {
      for (const subgraph of subgraphs) {
        if (breakersKnown.has(subgraph)) continue;
        breakersKnown.add(subgraph);
        breakers.set({ subgraph }, BREAKER_STATES.closed);
      }
    },
    authDenied: (coordinates) => {
      if (!coordinates.length) denials.inc({ coordinate: '(request)' });
      for (const coordinate of coordinates) denials.inc({ coordinate });
    },
    websocketOpened: () => websocketClients.inc(),
    websocketClosed: () => websocketClients.dec(),
    watchSubscriptions: (read) => {
      readSubscriptions = read;
    },
    subscriptionDelivered: (count = 1) => delivered.inc(count),
    subscriptionDropped: (reason, count = 1) => dropped.inc({ reason }, count),
    subscriptionFannedOut: (seconds) => fanout.observe(seconds),
    subscriptionEventResolved: (seconds) => resolved.observe(seconds),
  };
}
