/**
 * Scale-out end to end (docs/architecture.md "Scale-out"): two orders replicas on the REAL PostgreSQL and NATS
 * JetStream behind a gateway configured with `orders=<replica A>|<replica B>`, catalog and inventory
 * embedded. Skipped loudly when either server is absent.
 *
 * Each mesh runs in a namespace of its own (`startReplicaMesh`), so a user's `mesh_orders` schema and
 * `MESH_ORDERS` stream are never touched.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { factSubject } from '../../subgraphs/kit/ingest/consumeFacts.js';
import { domainStreamName } from '../../subgraphs/kit/bus/jetStreamStream.js';
import type { IngestReport } from '../../subgraphs/kit/ingest/ingestEvents.js';
import { natsReachable, natsUrl } from '../support/natsAvailable.js';
import { postgresAvailable } from '../support/postgresAvailable.js';
import { startReplicaMesh, type ReplicaMesh } from '../support/startReplicaMesh.js';
import type { MeshEvent } from '../support/startTestMesh.js';
import { MINUTE, minuteOf, ORDER_BUCKETS, SEEDED_PRODUCTS, type BucketPayload } from './orderBuckets.js';
import { asJson, record, trackedClient, waitUntil, type TrackedClient } from './meshClients.js';

const natsUp = natsReachable(natsUrl);
if (!natsUp) console.warn(`⚠ NATS not reachable at ${natsUrl} (set MESH_TEST_NATS_URL) — skipping the replica suites`);
if (!postgresAvailable) console.warn('⚠ PostgreSQL not reachable (set MESH_TEST_POSTGRES_URL) — skipping the replica suites');
const describeScaleOut: jest.Describe = natsUp && postgresAvailable ? describe : describe.skip;

const HOUR = 60 * MINUTE;
const HISTORY = `query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: HOUR, groupBy: [REGION]) { total { orders units revenue } groups { key { region } total { orders units revenue } } } }`;

/** Sequences of the bucket-updated change events in the domain stream, ascending. */
async function bucketEventSequences(domain: string, namespace: string): Promise<string[]> {
  const connection = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(connection);
    const stream = domainStreamName(domain, namespace);
    const { state } = await jsm.streams.info(stream);
    const sequences: string[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq += 1) {
      const message = await jsm.streams.getMessage(stream, { seq });
      if (message?.subject.startsWith(`${namespace}.mesh.${domain}.v1.sales.bucket-updated.`)) sequences.push(String(seq));
    }
    return sequences;
  } finally {
    await connection.close();
  }
}

/** A range of whole hours around now, covering every fact these tests post. */
function recentRange() {
  const hour = Math.floor(Date.now() / HOUR) * HOUR;
  return { from: new Date(hour - 4 * HOUR).toISOString(), to: new Date(hour + 2 * HOUR).toISOString() };
}

describeScaleOut('orders replicas on PostgreSQL and NATS JetStream behind the gateway', () => {
  let mesh: ReplicaMesh | undefined;
  let clients: TrackedClient[] = [];
  let sequence = 0;

  afterEach(async () => {
    await Promise.all(clients.map(async ({ client }) => client.dispose()));
    clients = [];
    await mesh?.close();
    mesh = undefined;
  });

  /** An order for `productId` in a minute of its own, `minutesAgo` before now. */
  const orderPlaced = (productId: string, minutesAgo: number, quantity = 1, unitPrice = 10, region = 'eu'): MeshEvent => {
    const n = ++sequence;
    return {
      specversion: '1.0',
      id: `replicas-${process.pid}-${n}`,
      source: 'urn:test:replicas',
      type: 'OrderPlaced',
      time: new Date(Math.floor(Date.now() / MINUTE) * MINUTE - minutesAgo * MINUTE + 1_000).toISOString(),
      data: { orderId: `r${n}`, productId, quantity, unitPrice, region, channel: 'web', customerEmail: 'replica@example.com' },
    };
  };

  it('should continue a subscription through the other replica when the connected one is killed: every event once, in cursor order, fields filled', async () => {
    mesh = await startReplicaMesh();
    const tracked = trackedClient(mesh.gateway.wsUrl, { retryAttempts: 0 });
    clients.push(tracked);
    const events = record<BucketPayload>(tracked.client, { query: ORDER_BUCKETS });
    const connected = await mesh.subscribedReplica();
    // The first URL of `orders=A|B` is the first connect.
    expect(connected).toBe(0);
    const other = 1 - connected;

    const TOTAL = 40;
    const KILL_AFTER = 12;
    // Each fact in a minute of its own (oldest first), products alternating: one event per fact.
    const facts = Array.from({ length: TOTAL }, (_, k) => orderPlaced(k % 2 === 0 ? 'p1' : 'p2', TOTAL + 5 - k));
    const received: BucketPayload[] = [];
    for (const fact of facts.slice(0, 5)) await mesh.postOrders(connected, fact);
    for (let k = 0; k < 5; k += 1) received.push(await events.next(`event ${k + 1} from replica ${connected}`, 10_000));

    // Facts keep going to the other replica while the connected one dies with the subscription on it.
    let killed: Promise<void> | undefined;
    for (const [k, fact] of facts.entries()) {
      if (k < 5) continue;
      await mesh.postOrders(other, fact);
      if (k === KILL_AFTER) killed = mesh.kill(connected);
    }
    await killed;
    while (received.length < TOTAL) received.push(await events.next(`event ${received.length + 1} of ${TOTAL}`, 20_000));
    // A duplicate would arrive before a later event: after this one, nothing else may be pending.
    const last = orderPlaced('p1', 2);
    await mesh.postOrders(other, last);
    received.push(await events.next('the event of the last fact', 10_000));
    expect(mesh.busSubscriptions(other)).toBe(1);

    const payloads = asJson<BucketPayload[]>(received);
    expect(payloads.filter((p) => p.errors)).toEqual([]);
    expect(payloads.map((p) => p.data!.orderBucketUpdated.bucket)).toEqual([...facts, last].map((fact) => ({ start: minuteOf(fact), orders: 1 })));
    expect(payloads.map((p) => p.data!.orderBucketUpdated.product)).toEqual([...facts, last].map((fact) => SEEDED_PRODUCTS[fact.data.productId as string]));
    const cursors = payloads.map((p) => p.data!.orderBucketUpdated.cursor);
    expect(cursors.map(Number)).toEqual([...cursors.map(Number)].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(cursors.length);
    // No gap: every bucket event the stream holds, from both replicas, reached the client.
    expect(cursors).toEqual(await bucketEventSequences('orders', mesh.namespace));
    expect(mesh.gateway.subscriptions()!.stats()).toMatchObject({ upstreams: 1, clients: 1, connections: 1 });

    // Queries fail over too: the first URL is gone, the answer comes from the replica left.
    const { body } = await mesh.query(HISTORY, { r: recentRange() });
    expect(body.errors).toBeUndefined();
    expect(body.data.orderHistory.total).toEqual({ orders: TOTAL + 1, units: TOTAL + 1, revenue: (TOTAL + 1) * 10 });
    const ready = await fetch(mesh.gateway.url.replace(/\/graphql$/, '/ready'));
    expect(ready.status).toBe(200);
  });

  it('should ingest facts published to NATS once across two replicas: rollups equal the facts', async () => {
    mesh = await startReplicaMesh();
    const reports: IngestReport[][] = mesh.orders.map((replica) => {
      const seen: IngestReport[] = [];
      const ingest = replica.runtime.ingest.bind(replica.runtime);
      jest.spyOn(replica.runtime, 'ingest').mockImplementation(async (events) => {
        const report = await ingest(events);
        seen.push(report);
        return report;
      });
      return seen;
    });
    const regions = ['eu', 'us', 'apac'];
    const facts = Array.from({ length: 600 }, (_, i) => orderPlaced(i % 3 === 0 ? 'p1' : 'p2', 1 + (i % 180), 1 + (i % 4), 5 + (i % 7), regions[i % 3]));
    const republished = facts.slice(0, 100);
    const expected = new Map<string, { orders: number; units: number; revenue: number }>();
    for (const fact of facts) {
      const { region, quantity, unitPrice } = fact.data as { region: string; quantity: number; unitPrice: number };
      for (const key of [region, 'total']) {
        const sums = expected.get(key) ?? { orders: 0, units: 0, revenue: 0 };
        expected.set(key, { orders: sums.orders + 1, units: sums.units + quantity, revenue: sums.revenue + quantity * unitPrice });
      }
    }

    const connection = await connect({ servers: natsUrl });
    try {
      const js = jetstream(connection);
      // Producers publish CloudEvents; a producer retrying without a message id sends duplicates.
      for (const fact of [...facts, ...republished]) await js.publish(factSubject('orders', fact.type, mesh.namespace), JSON.stringify(fact));
    } finally {
      await connection.close();
    }

    const applied = () => reports.flat().reduce((sum, report) => sum + report.applied, 0);
    await waitUntil(
      () => applied() >= facts.length && reports.flat().reduce((sum, r) => sum + r.applied + r.duplicates, 0) >= facts.length + republished.length,
      'every published fact ingested',
      30_000,
    );
    expect(applied()).toBe(facts.length);
    expect(reports.flat().reduce((sum, report) => sum + report.rejected, 0)).toBe(0);

    const range = recentRange();
    const { body } = await mesh.query(HISTORY, { r: range });
    expect(body.errors).toBeUndefined();
    expect(body.data.orderHistory.total).toEqual(expected.get('total'));
    expect(Object.fromEntries(body.data.orderHistory.groups.map((g: any) => [g.key.region, g.total]))).toEqual(
      Object.fromEntries(regions.map((r) => [r, expected.get(r)])),
    );
    // Both replicas read the same rollups.
    for (const replica of mesh.orders) {
      const direct = await fetch(replica.served.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: HISTORY, variables: { r: range } }),
      });
      expect(((await direct.json()) as any).data.orderHistory.total).toEqual(expected.get('total'));
    }
  });
});
