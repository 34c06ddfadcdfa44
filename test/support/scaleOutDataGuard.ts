/**
 * Proof that a test run leaves other people's scale-out data alone. Before the run (jest `globalSetup`)
 * every `mesh_*` PostgreSQL schema and every `MESH_*` JetStream stream that is not a test run's own
 * (`mesh_test_*`, `MESH_TEST_*`, see `testNamespace.ts`) is fingerprinted: schema identity, tables and row
 * counts; stream creation time, message count and sequence range (a test's sentinel, marked with
 * `SENTINEL_MARK`, excepted). After the run (`globalTeardown`) the
 * same fingerprint is taken again, and any difference fails the run: a schema or stream dropped,
 * re-created, written to, or one of those names created by the run. A mesh run on the same database
 * meanwhile (e.g. a scaled-out `npm start`) also shows up here; the message says so.
 *
 * Servers: `MESH_TEST_POSTGRES_URL` and `MESH_TEST_NATS_URL`, as the suites use them; an unreachable one
 * is not fingerprinted (its suites skip).
 *
 * This module is jest's `globalSetup` (its default export), which jest loads outside its module mapping:
 * it imports packages only, and hands the check to `globalTeardown.ts` through `globalThis`.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';

/** Schemas and streams of test runs start with these; everything else under `mesh_`/`MESH_` is a user's. */
export const TEST_SCHEMA_PREFIX = 'mesh_test_';
export const TEST_STREAM_PREFIX = 'MESH_TEST_';
/**
 * The schema comment / stream description of a sentinel a test stands at a user's name
 * (`test/mesh/scaleOutIsolation.test.ts`): another run's sentinel comes and goes, so it is not guarded.
 */
export const SENTINEL_MARK = 'mesh test sentinel';

/** What identifies the state of the scale-out data: `kind name` → a description of its state. */
export type ScaleOutFingerprint = Map<string, string>;

const postgresUrl = () => process.env.MESH_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const natsUrl = () => process.env.MESH_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/**
 * Fingerprints every user `mesh_*` schema and `MESH_*` stream on the test servers that answer; with
 * `sentinels`, test sentinels too.
 */
export async function fingerprintScaleOutData(options: { sentinels?: boolean } = {}): Promise<ScaleOutFingerprint> {
  const fingerprint: ScaleOutFingerprint = new Map();
  const skipMark = options.sentinels ? null : SENTINEL_MARK;
  await Promise.all([fingerprintPostgres(fingerprint, skipMark), fingerprintNats(fingerprint, skipMark)]);
  return fingerprint;
}

/** What changed between two fingerprints, one line per schema or stream; empty when nothing did. */
export function fingerprintChanges(before: ScaleOutFingerprint, after: ScaleOutFingerprint): string[] {
  const changes: string[] = [];
  for (const [name, state] of before) {
    const now = after.get(name);
    if (now === undefined) changes.push(`${name} was removed (before: ${state})`);
    else if (now !== state) changes.push(`${name} changed: before ${state}; after ${now}`);
  }
  for (const [name, state] of after) if (!before.has(name)) changes.push(`${name} was created (${state})`);
  return changes;
}

async function fingerprintPostgres(into: ScaleOutFingerprint, skipMark: string | null): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch {
    return;
  }
  try {
    const { rows: schemas } = await client.query<{ oid: string; name: string }>(
      String.raw`SELECT oid::text, nspname AS name FROM pg_namespace
                 WHERE nspname LIKE 'mesh\_%' AND nspname NOT LIKE $1 AND ($2::text IS NULL OR obj_description(oid, 'pg_namespace') IS DISTINCT FROM $2)
                 ORDER BY nspname`,
      [`${TEST_SCHEMA_PREFIX.replace(/_/g, '\\_')}%`, skipMark],
    );
    for (const { oid, name } of schemas) {
      const { rows: tables } = await client.query<{ table: string }>(`SELECT tablename AS "table" FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, [
        name,
      ]);
      const counts: string[] = [];
      for (const { table } of tables) {
        const { rows } = await client.query<{ count: string }>(
          `SELECT count(*)::text AS count FROM ${pg.escapeIdentifier(name)}.${pg.escapeIdentifier(table)}`,
        );
        counts.push(`${table}=${rows[0].count}`);
      }
      into.set(`PostgreSQL schema ${name}`, `oid ${oid}, rows ${counts.join(' ') || '(no tables)'}`);
    }
  } finally {
    await client.end();
  }
}

async function fingerprintNats(into: ScaleOutFingerprint, skipMark: string | null): Promise<void> {
  let connection;
  try {
    connection = await connect({ servers: natsUrl(), timeout: 2000, maxReconnectAttempts: 0 });
  } catch {
    return;
  }
  try {
    const jsm = await jetstreamManager(connection);
    for await (const info of jsm.streams.list()) {
      const { name } = info.config;
      if (!name.startsWith('MESH_') || name.startsWith(TEST_STREAM_PREFIX) || (skipMark !== null && info.config.description === skipMark)) continue;
      const { state, created } = info;
      into.set(`JetStream stream ${name}`, `created ${created}, ${state.messages} messages, seq ${state.first_seq}..${state.last_seq}`);
    }
  } catch {
    // JetStream off on that server: no streams to guard.
  } finally {
    await connection.close();
  }
}

/** The check that `globalTeardown.ts` runs. */
export interface ScaleOutDataGuard {
  /** Throws (after printing) when the data changed since `globalSetup`. */
  verify(): Promise<void>;
}

declare global {
  var meshScaleOutDataGuard: ScaleOutDataGuard | undefined;
}

/** Jest global setup: fingerprints the data, and leaves the check for the teardown. */
export default async function globalSetup(): Promise<void> {
  const before = await fingerprintScaleOutData();
  globalThis.meshScaleOutDataGuard = {
    async verify() {
      const changes = fingerprintChanges(before, await fingerprintScaleOutData());
      if (changes.length === 0) return;
      const message = [
        '',
        '✖ This test run touched scale-out data it did not create. Tests must use their own namespace',
        '  (test/support/testNamespace.ts) and clean up only what they created.',
        ...changes.map((change) => `  - ${change}`),
        '  (A mesh running on the same database or broker during the run, e.g. a scaled-out `npm start`,',
        '  changes its own schemas and streams too: run the suite without one.)',
        '',
      ].join('\n');
      console.error(message);
      throw new Error(message);
    },
  };
}
