/**
 * A user's scale-out data survives the scale-out suites: sentinels stand at the names a scaled-out
 * `npm start` uses for orders (`mesh_orders` in PostgreSQL, `MESH_ORDERS` on the broker, subjects
 * `mesh.orders.>`), then the replica mesh of `test/mesh/replicas.test.ts` runs, ingests and closes. The
 * sentinels must come out exactly as they went in. Where a real `mesh_orders` / `MESH_ORDERS` already
 * exists it is the sentinel (only fingerprinted, never written); otherwise this suite creates one and
 * removes it afterwards, only if it still holds nothing but what the suite put there.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { streamInfo } from '../../subgraphs/kit/bus/jetStreamStream.js';
import { natsReachable, natsUrl } from '../support/natsAvailable.js';
import { postgresAvailable, queryPostgres } from '../support/postgresAvailable.js';
import { fingerprintChanges, fingerprintScaleOutData, SENTINEL_MARK } from '../support/scaleOutDataGuard.js';
import { startReplicaMesh } from '../support/startReplicaMesh.js';

const natsUp = natsReachable(natsUrl);
if (!natsUp || !postgresAvailable) console.warn('⚠ PostgreSQL or NATS not reachable — skipping the scale-out isolation suite');
const describeScaleOut: jest.Describe = natsUp && postgresAvailable ? describe : describe.skip;

const SCHEMA = 'mesh_orders';
const STREAM = 'MESH_ORDERS';
const SENTINEL_KEYS = [`PostgreSQL schema ${SCHEMA}`, `JetStream stream ${STREAM}`];

/** The fingerprints of the two sentinels only. */
async function sentinels(): Promise<Record<string, string | undefined>> {
  const all = await fingerprintScaleOutData({ sentinels: true });
  return Object.fromEntries(SENTINEL_KEYS.map((key) => [key, all.get(key)]));
}

describeScaleOut('a user’s mesh_orders schema and MESH_ORDERS stream beside the scale-out suites', () => {
  let nats: NatsConnection;
  let createdSchema = false;
  let createdStream = false;

  beforeAll(async () => {
    nats = await connect({ servers: natsUrl });
    const exists = await queryPostgres(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [SCHEMA]);
    if (exists.length === 0) {
      // Marked, so the data guard of a test run beside this one does not count it as a user's.
      await queryPostgres(
        `CREATE SCHEMA ${SCHEMA}; COMMENT ON SCHEMA ${SCHEMA} IS '${SENTINEL_MARK}'; CREATE TABLE ${SCHEMA}.sentinel (note text); INSERT INTO ${SCHEMA}.sentinel VALUES ('a user''s data')`,
      );
      createdSchema = true;
    }
    const jsm = await jetstreamManager(nats);
    if (!(await streamInfo(jsm, STREAM))) {
      await jsm.streams.add({ name: STREAM, subjects: ['mesh.orders.>'], description: SENTINEL_MARK });
      await jetstream(nats).publish('mesh.orders.v1.sentinel', 'a user’s event');
      createdStream = true;
    }
  });

  afterAll(async () => {
    // Only what this suite created, and only while it still holds nothing else.
    if (createdSchema) {
      const tables = await queryPostgres<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = $1`, [SCHEMA]);
      const rows = await queryPostgres<{ count: string }>(`SELECT count(*)::text AS count FROM ${SCHEMA}.sentinel`).catch(() => [{ count: '?' }]);
      if (tables.length === 1 && tables[0].name === 'sentinel' && rows[0].count === '1') await queryPostgres(`DROP SCHEMA ${SCHEMA} CASCADE`);
    }
    if (createdStream) {
      const jsm = await jetstreamManager(nats);
      const info = await streamInfo(jsm, STREAM);
      if (info?.state.messages === 1 && info.state.last_seq === 1) await jsm.streams.delete(STREAM);
    }
    await nats?.close();
  });

  it('should leave them exactly as they were after a replica mesh started, ingested and closed', async () => {
    const before = await sentinels();
    expect(Object.values(before).every(Boolean)).toBe(true);

    const mesh = await startReplicaMesh();
    try {
      const time = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000).toISOString();
      await mesh.postOrders(0, {
        specversion: '1.0',
        id: `isolation-${process.pid}`,
        source: 'urn:test:isolation',
        type: 'OrderPlaced',
        time,
        data: { orderId: 'iso-1', productId: 'p1', quantity: 1, unitPrice: 10, region: 'eu', channel: 'web', customerEmail: 'iso@example.com' },
      });
      const { body } = await mesh.query<{ data: { orderHistory: { total: { orders: number } } } }>(
        `query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: HOUR) { total { orders } } }`,
        { r: { from: new Date(Date.parse(time) - 3_600_000).toISOString(), to: new Date(Date.parse(time) + 3_600_000).toISOString() } },
      );
      // The mesh really ran on its own schema and stream, beside the sentinels.
      expect(body.data.orderHistory.total.orders).toBe(1);
    } finally {
      await mesh.close();
    }

    expect(await sentinels()).toEqual(before);
  }, 60_000);
});

describe('the scale-out data guard', () => {
  const before = new Map([
    ['PostgreSQL schema mesh_orders', 'oid 1, rows facts=3'],
    ['JetStream stream MESH_ORDERS', 'created t0, 3 messages, seq 1..3'],
  ]);

  it('should report nothing when nothing changed', () => {
    expect(fingerprintChanges(before, new Map(before))).toEqual([]);
  });

  it('should report a schema re-created, a stream written to, and a user name created', () => {
    const after = new Map([
      ['PostgreSQL schema mesh_orders', 'oid 2, rows facts=3'],
      ['JetStream stream MESH_ORDERS', 'created t0, 4 messages, seq 1..4'],
      ['PostgreSQL schema mesh_shipping', 'oid 3, rows (no tables)'],
    ]);
    expect(fingerprintChanges(before, after)).toEqual([
      'PostgreSQL schema mesh_orders changed: before oid 1, rows facts=3; after oid 2, rows facts=3',
      'JetStream stream MESH_ORDERS changed: before created t0, 3 messages, seq 1..3; after created t0, 4 messages, seq 1..4',
      'PostgreSQL schema mesh_shipping was created (oid 3, rows (no tables))',
    ]);
  });

  it('should report a schema or stream removed', () => {
    expect(fingerprintChanges(before, new Map())).toEqual([
      'PostgreSQL schema mesh_orders was removed (before: oid 1, rows facts=3)',
      'JetStream stream MESH_ORDERS was removed (before: created t0, 3 messages, seq 1..3)',
    ]);
  });
});
