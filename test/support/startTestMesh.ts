/**
 * The whole mesh on loopback for end-to-end tests: the four real domain subgraphs (in-memory DuckDB,
 * in-process bus, port 0) behind a real gateway that composes the supergraph from them, seeded with a
 * small deterministic story through each subgraph's `POST /events`. Event times are offsets from the
 * moment the mesh starts (`story.now`), all in the past, so the lateness and clock-skew rules accept them.
 *
 * `stop(domain)` / `restart(domain)` take one subgraph away and bring it back on the SAME port (the
 * gateway's supergraph and upstream sockets point at it); an in-memory store starts empty, so a restart
 * re-posts that domain's part of the story unless told not to.
 */
import type { OutgoingCloudEvent } from '../../core/events/CloudEvent.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGateway, type GatewayConfig, type RunningGateway } from '../../gateway/index.js';
import { DOMAIN_NAMES, type DomainName } from '../../subgraphs/domains.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import type { SubgraphConfig } from '../../subgraphs/subgraphConfig.js';
import { testSubgraphConfig } from './testSubgraphConfig.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A CloudEvents 1.0 envelope as producers post it. */
export type MeshEvent = OutgoingCloudEvent;

/** The seeded story and the numbers a correct mesh derives from it. */
export interface MeshStory {
  /** When the mesh started; every seeded time is before it. */
  now: Date;
  /** A range covering every seeded fact (whole UTC days), for history queries. */
  range: { from: string; to: string };
  /** Facts of the four demo domains; a domain added with `npm run new-domain` has none (its own test seeds it). */
  events: Record<'catalog' | 'orders' | 'inventory' | 'shipping', MeshEvent[]> & Partial<Record<DomainName, MeshEvent[]>>;
  expected: {
    products: Array<{ id: string; name: string; units: number; revenue: number; onHand: number; avgLeadTimeHours: number | null; onTimeRate: number | null }>;
    orders: Record<string, { productName: string; customerEmail: string; shipment: { status: string; carrier: string } | null }>;
  };
}

/** A POST /events answer. */
export interface PostedEvents {
  status: number;
  body: { applied?: number; duplicates?: number; rejected?: number; error?: { code: string; field: string; message: string } };
}

export interface TestMesh {
  gateway: RunningGateway;
  subgraphs: Record<DomainName, RunningSubgraph>;
  /** Ports the subgraphs listen on; a restart reuses them. */
  ports: Record<DomainName, number>;
  story: MeshStory;
  /** Posts events to a subgraph's `POST /events`; fails the test unless every event was applied or a duplicate. */
  post(domain: DomainName, events: MeshEvent | MeshEvent[]): Promise<PostedEvents>;
  /** A CloudEvent with a unique id, timed `msAgo` before now. */
  event(type: string, data: Record<string, unknown>, msAgo?: number): MeshEvent;
  /** POSTs a GraphQL request to the gateway and returns status and parsed body. */
  query<T = any>(query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: T }>;
  /** Stops one subgraph (idempotent). */
  stop(domain: DomainName): Promise<void>;
  /** Starts a stopped (or running: it is stopped first) subgraph on its old port, re-seeding it by default. */
  restart(domain: DomainName, options?: { reseed?: boolean }): Promise<RunningSubgraph>;
  close(): Promise<void>;
}

/** The story: three products, three orders, stock for two products, three shipments (two delivered). */
export function meshStory(now: Date = new Date()): MeshStory {
  let sequence = 0;
  const at = (msAgo: number) => new Date(now.getTime() - msAgo).toISOString();
  const event = (domain: DomainName, type: string, msAgo: number, data: Record<string, unknown>): MeshEvent => ({
    specversion: '1.0',
    id: `seed-${domain}-${++sequence}`,
    source: `urn:test:${domain}`,
    type,
    time: at(msAgo),
    data,
  });
  const startOfDay = Math.floor(now.getTime() / DAY) * DAY;
  const order = (orderId: string, productId: string, quantity: number, unitPrice: number, region: string, channel: string, customerEmail: string) => ({
    orderId,
    productId,
    quantity,
    unitPrice,
    region,
    channel,
    customerEmail,
  });
  return {
    now,
    range: { from: new Date(startOfDay - 6 * DAY).toISOString(), to: new Date(startOfDay + DAY).toISOString() },
    events: {
      catalog: [
        event('catalog', 'ProductListed', 4 * DAY, { productId: 'p1', name: 'Kettle', category: 'kitchen', price: 30 }),
        event('catalog', 'ProductListed', 4 * DAY, { productId: 'p2', name: 'Toaster', category: 'kitchen', price: 45 }),
        event('catalog', 'ProductListed', 4 * DAY, { productId: 'p3', name: 'Lamp', category: 'home', price: 20 }),
      ],
      orders: [
        event('orders', 'OrderPlaced', 3 * DAY, order('o1', 'p1', 2, 30, 'eu', 'web', 'alice@example.com')),
        event('orders', 'OrderPlaced', 2 * DAY, order('o2', 'p1', 1, 30, 'us', 'mobile', 'bob@example.com')),
        event('orders', 'OrderPlaced', 1 * DAY, order('o3', 'p2', 4, 45, 'eu', 'store', 'carol@example.com')),
      ],
      inventory: [
        event('inventory', 'StockCounted', 3 * DAY, { productId: 'p1', warehouse: 'w1', onHand: 10 }),
        event('inventory', 'StockCounted', 3 * DAY, { productId: 'p1', warehouse: 'w2', onHand: 5 }),
        event('inventory', 'StockAdjusted', 2 * DAY, { productId: 'p1', warehouse: 'w1', delta: -2, reason: 'sold' }),
        event('inventory', 'StockCounted', 2 * DAY, { productId: 'p2', warehouse: 'w1', onHand: 7 }),
      ],
      shipping: [
        // o1: 24h lead time, on time.
        event('shipping', 'ShipmentDispatched', 3 * DAY - 1 * HOUR, {
          shipmentId: 's1',
          orderId: 'o1',
          productId: 'p1',
          carrier: 'dhl',
          region: 'eu',
          promisedAt: at(3 * DAY - 49 * HOUR),
        }),
        event('shipping', 'ShipmentDelivered', 3 * DAY - 25 * HOUR, {
          shipmentId: 's1',
          orderId: 'o1',
          productId: 'p1',
          carrier: 'dhl',
          region: 'eu',
          promisedAt: at(3 * DAY - 49 * HOUR),
          dispatchedAt: at(3 * DAY - 1 * HOUR),
        }),
        // o2: 36h lead time, 24h late.
        event('shipping', 'ShipmentDispatched', 2 * DAY - 1 * HOUR, {
          shipmentId: 's2',
          orderId: 'o2',
          productId: 'p1',
          carrier: 'ups',
          region: 'us',
          promisedAt: at(2 * DAY - 13 * HOUR),
        }),
        event('shipping', 'ShipmentDelivered', 2 * DAY - 37 * HOUR, {
          shipmentId: 's2',
          orderId: 'o2',
          productId: 'p1',
          carrier: 'ups',
          region: 'us',
          promisedAt: at(2 * DAY - 13 * HOUR),
          dispatchedAt: at(2 * DAY - 1 * HOUR),
        }),
        // o3: on its way.
        event('shipping', 'ShipmentDispatched', 1 * DAY - 2 * HOUR, {
          shipmentId: 's3',
          orderId: 'o3',
          productId: 'p2',
          carrier: 'dhl',
          region: 'eu',
          promisedAt: new Date(now.getTime() + DAY).toISOString(),
        }),
      ],
    },
    expected: {
      products: [
        { id: 'p1', name: 'Kettle', units: 3, revenue: 90, onHand: 13, avgLeadTimeHours: 30, onTimeRate: 0.5 },
        { id: 'p2', name: 'Toaster', units: 4, revenue: 180, onHand: 7, avgLeadTimeHours: null, onTimeRate: null },
        { id: 'p3', name: 'Lamp', units: 0, revenue: 0, onHand: 0, avgLeadTimeHours: null, onTimeRate: null },
      ],
      orders: {
        o1: { productName: 'Kettle', customerEmail: 'alice@example.com', shipment: { status: 'DELIVERED', carrier: 'dhl' } },
        o2: { productName: 'Kettle', customerEmail: 'bob@example.com', shipment: { status: 'DELIVERED', carrier: 'ups' } },
        o3: { productName: 'Toaster', customerEmail: 'carol@example.com', shipment: { status: 'DISPATCHED', carrier: 'dhl' } },
      },
    },
  };
}

export interface StartTestMeshOptions {
  /** Gateway supergraph poll interval. @default 500 */
  pollIntervalMs?: number;
  /** Gateway log lines go here. @default dropped */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Extra configuration per subgraph (e.g. `eventMesh`), on start and restart. @default none */
  subgraphConfig?: (domain: DomainName) => Partial<SubgraphConfig>;
  /**
   * Extra gateway configuration, once the subgraphs listen on `ports` (e.g. websocket URLs through a
   * proxy, keep-alive). @default none
   */
  gatewayConfig?: (ports: Readonly<Record<DomainName, number>>) => Partial<GatewayConfig> | Promise<Partial<GatewayConfig>>;
}

export async function startTestMesh(options: StartTestMeshOptions = {}): Promise<TestMesh> {
  const { pollIntervalMs = 500, log = () => {} } = options;
  const exportDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-exports-'));
  const story = meshStory();
  const configFor = (domain: DomainName, port: number): SubgraphConfig => testSubgraphConfig(domain, exportDir, { ...options.subgraphConfig?.(domain), port });

  const subgraphs = {} as Record<DomainName, RunningSubgraph>;
  const ports = {} as Record<DomainName, number>;
  const stopped = new Map<DomainName, Promise<void>>();
  let gateway: RunningGateway | undefined;
  try {
    await Promise.all(
      DOMAIN_NAMES.map(async (domain) => {
        subgraphs[domain] = await startSubgraph(configFor(domain, 0));
        ports[domain] = subgraphs[domain].served.port;
      }),
    );
  } catch (error) {
    await Promise.all(Object.values(subgraphs).map((s) => s.close()));
    rmSync(exportDir, { recursive: true, force: true });
    throw error;
  }

  let sequence = 0;
  const post = async (domain: DomainName, events: MeshEvent | MeshEvent[]): Promise<PostedEvents> => {
    const response = await fetch(`http://127.0.0.1:${ports[domain]}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    const body = (await response.json()) as PostedEvents['body'];
    if (response.status !== 200) throw new Error(`POST /events to ${domain} answered ${response.status}: ${JSON.stringify(body)}`);
    return { status: response.status, body };
  };
  const seed = async (domain: DomainName) => {
    const events = story.events[domain] ?? [];
    if (events.length) await post(domain, events);
  };

  try {
    await Promise.all(DOMAIN_NAMES.map(seed));
    gateway = await startGateway({
      config: {
        host: '127.0.0.1',
        port: 0,
        supergraph: { kind: 'subgraphs', subgraphs: DOMAIN_NAMES.map((name) => ({ name, url: subgraphs[name].served.url })), pollIntervalMs },
        subgraphWsUrls: {},
        introspection: true,
        landingPage: false,
        ...(await options.gatewayConfig?.(ports)),
      },
      log,
    });
  } catch (error) {
    await Promise.all(Object.values(subgraphs).map((s) => s.close()));
    rmSync(exportDir, { recursive: true, force: true });
    throw error;
  }
  const running = gateway;

  const stop = (domain: DomainName): Promise<void> => {
    let closing = stopped.get(domain);
    if (!closing) {
      closing = subgraphs[domain].close();
      stopped.set(domain, closing);
    }
    return closing;
  };

  return {
    gateway: running,
    subgraphs,
    ports,
    story,
    post,
    event(type, data, msAgo = 0) {
      return {
        specversion: '1.0',
        id: `test-${process.pid}-${++sequence}`,
        source: 'urn:test:mesh',
        type,
        time: new Date(Date.now() - msAgo).toISOString(),
        data,
      };
    },
    async query(query, variables) {
      const response = await fetch(running.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as never };
    },
    stop,
    async restart(domain, { reseed = true } = {}) {
      await stop(domain);
      subgraphs[domain] = await startSubgraph(configFor(domain, ports[domain]));
      stopped.delete(domain);
      if (reseed) await seed(domain);
      return subgraphs[domain];
    },
    async close() {
      await running.close();
      await Promise.all(DOMAIN_NAMES.map(stop));
      rmSync(exportDir, { recursive: true, force: true });
    },
  };
}
