/**
 * A mesh with the orders domain scaled out, for the replica suites: two orders replicas (`startSubgraph`
 * twice) on the REAL PostgreSQL and NATS JetStream, catalog and inventory on in-memory DuckDB, and a
 * real gateway configured from `MESH_SUBGRAPHS` with `orders=<replica 0>|<replica 1>` (auth off, as in
 * the other test harnesses). Catalog and inventory are seeded with the `startTestMesh` story.
 *
 * Each mesh runs in a namespace of its own (`test/support/testNamespace.ts`): the orders schema is
 * `mesh_test_<random>_orders` and the stream `MESH_TEST_<RANDOM>_ORDERS`, dropped when the mesh closes. A
 * user's `mesh_orders` / `MESH_ORDERS` (e.g. `npm start` with `MESH_STORE=postgres://…`) is never touched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { gatewayConfigFromEnv, startGateway, type RunningGateway } from '../../gateway/index.js';
import type { DomainName } from '../../subgraphs/domains.js';
import type { JetStreamBus } from '../../subgraphs/kit/bus/JetStreamBus.js';
import { domainStreamName } from '../../subgraphs/kit/bus/jetStreamStream.js';
import type { JetStreamSubscription } from '../../subgraphs/kit/bus/jetStreamSubscription.js';
import { postgresSchemaName, startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import type { SubgraphConfig } from '../../subgraphs/subgraphConfig.js';
import { waitFor } from './asyncWait.js';
import { natsUrl } from './natsAvailable.js';
import { dropSchemas, POSTGRES_TEST_URL } from './postgresAvailable.js';
import { meshStory, type MeshEvent, type MeshStory } from './startTestMesh.js';
import { uniqueNamespace } from './testNamespace.js';

/** One orders replica and the raw sockets its server accepted (to drop them as a crash would). */
interface Replica {
  running: RunningSubgraph;
  sockets: Set<Socket>;
  closed: Promise<void> | null;
}

export interface ReplicaMesh {
  gateway: RunningGateway;
  /** The orders replicas, in the order of `MESH_SUBGRAPHS`. */
  orders: RunningSubgraph[];
  catalog: RunningSubgraph;
  inventory: RunningSubgraph;
  story: MeshStory;
  /** The namespace of the orders replicas' schema and stream. */
  namespace: string;
  /** Posts facts to an orders replica's `POST /events`; fails unless every fact was applied or a duplicate. */
  postOrders(replica: number, events: MeshEvent | MeshEvent[]): Promise<void>;
  /** POSTs a GraphQL request to the gateway. */
  query<T = any>(query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: T }>;
  /**
   * Waits until one orders replica serves a change-event subscription whose JetStream consumer exists
   * (events published from now on reach it) and returns that replica's index.
   */
  subscribedReplica(timeoutMs?: number): Promise<number>;
  /** Bus subscriptions open on an orders replica. */
  busSubscriptions(replica: number): number;
  /** Kills an orders replica: its sockets are destroyed without a close frame, then it stops. */
  kill(replica: number): Promise<void>;
  close(): Promise<void>;
}

/** Drops a test namespace's schema of the domain and deletes its JetStream stream (with its consumers). */
export async function dropScaleOutDomain(domain: DomainName, namespace: string): Promise<void> {
  await dropSchemas(postgresSchemaName(domain, namespace));
  const connection = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(connection);
    await jsm.streams.delete(domainStreamName(domain, namespace)).catch((error: unknown) => {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    });
  } finally {
    await connection.close();
  }
}

export async function startReplicaMesh(options: { replicas?: number } = {}): Promise<ReplicaMesh> {
  const { replicas: count = 2 } = options;
  const namespace = uniqueNamespace();
  const exportDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-replicas-'));
  const story = meshStory();
  const configFor = (domain: DomainName, scaledOut: boolean): SubgraphConfig => ({
    domain,
    host: '127.0.0.1',
    port: 0,
    schemaDir: path.resolve('schema'),
    store: scaledOut ? { kind: 'postgres', url: POSTGRES_TEST_URL } : { kind: 'duckdb', path: ':memory:', threads: 1 },
    bus: scaledOut ? { kind: 'nats', url: natsUrl } : { kind: 'memory' },
    exportDir,
    latenessMs: 7 * 86_400_000,
    namespace,
  });
  const replicas: Replica[] = [];
  const others: RunningSubgraph[] = [];
  let gateway: RunningGateway | null = null;
  const stopReplica = (replica: Replica) => (replica.closed ??= replica.running.close());
  const closeAll = async () => {
    await gateway?.close();
    await Promise.all([...replicas.map(stopReplica), ...others.map((s) => s.close())]);
    await dropScaleOutDomain('orders', namespace);
    rmSync(exportDir, { recursive: true, force: true });
  };

  const post = async (base: string, events: MeshEvent | MeshEvent[]) => {
    const response = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
    const body = (await response.json()) as { rejected?: number };
    if (response.status !== 200 || body.rejected) throw new Error(`POST ${base}/events answered ${response.status}: ${JSON.stringify(body)}`);
  };
  const baseOf = (running: RunningSubgraph) => running.served.url.replace(/\/graphql$/, '');
  const subscriptionsOf = (index: number) => [
    ...(replicas[index].running.runtime.bus as JetStreamBus as unknown as { subscriptions: Set<JetStreamSubscription> }).subscriptions,
  ];

  let catalog: RunningSubgraph;
  let inventory: RunningSubgraph;
  try {
    // One after the other: the replicas could start together, but this suite is about serving, not start.
    for (let i = 0; i < count; i += 1) {
      const running = await startSubgraph(configFor('orders', true));
      const sockets = new Set<Socket>();
      running.served.server.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      replicas.push({ running, sockets, closed: null });
    }
    catalog = await startSubgraph(configFor('catalog', false));
    others.push(catalog);
    inventory = await startSubgraph(configFor('inventory', false));
    others.push(inventory);
    await post(baseOf(catalog), story.events.catalog);
    await post(baseOf(inventory), story.events.inventory);
    // Configured the way an operator would: the replicas of orders in MESH_SUBGRAPHS.
    const config = gatewayConfigFromEnv({
      GATEWAY_PORT: '0',
      MESH_POLL_INTERVAL_MS: '60000',
      MESH_SUBGRAPHS: [
        `catalog=${catalog.served.url}`,
        `orders=${replicas.map((r) => r.running.served.url).join('|')}`,
        `inventory=${inventory.served.url}`,
      ].join(','),
    });
    gateway = await startGateway({ config: { ...config, auth: undefined }, log: () => {} });
  } catch (error) {
    await closeAll();
    throw error;
  }
  const running = gateway;

  return {
    gateway: running,
    orders: replicas.map((r) => r.running),
    catalog,
    inventory,
    story,
    namespace,
    postOrders: (replica, events) => post(baseOf(replicas[replica].running), events),
    async query(query, variables) {
      const response = await fetch(running.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as never };
    },
    async subscribedReplica(timeoutMs = 10_000) {
      let found = -1;
      await waitFor(
        () => (found = replicas.findIndex((r, i) => !r.closed && subscriptionsOf(i).length > 0)) >= 0,
        'an orders replica serving the subscription',
        timeoutMs,
      );
      await Promise.all(subscriptionsOf(found).map((s) => s.ready));
      return found;
    },
    busSubscriptions: (replica) => (replicas[replica].closed ? 0 : subscriptionsOf(replica).length),
    async kill(replica) {
      const target = replicas[replica];
      for (const socket of target.sockets) socket.destroy();
      await stopReplica(target);
    },
    close: closeAll,
  };
}
