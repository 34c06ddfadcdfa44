/**
 * Whether the PostgreSQL the scale-out suites need is reachable. Jest collects `describe` blocks
 * synchronously, so the probe runs once per test file in a child process (a real connection and
 * `SELECT 1`, given 2 s to connect); without a server the suites are skipped with a loud warning, not failed.
 *
 *   MESH_TEST_POSTGRES_URL=postgres://user@host:5432/db npx jest test/kit/postgresStore.test.ts
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const POSTGRES_TEST_URL = process.env.MESH_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const PROBE = `
const { Client } = require('pg');
const client = new Client({ connectionString: process.env.PROBE_URL, connectionTimeoutMillis: 2000 });
client.connect().then(() => client.query('SELECT 1')).then(() => client.end()).then(() => process.exit(0), (error) => {
  process.stderr.write(String(error && error.message || error));
  process.exit(1);
});`;

function probe(): { ok: boolean; reason: string } {
  const result = spawnSync(process.execPath, ['-e', PROBE], {
    cwd: process.cwd(),
    env: { ...process.env, PROBE_URL: POSTGRES_TEST_URL },
    // The probe's own connection timeout answers for an unreachable server; this one only stops a node that
    // cannot even start, which on a loaded machine takes seconds (a skipped suite there would prove nothing).
    timeout: 15_000,
    encoding: 'utf8',
  });
  if (result.status === 0) return { ok: true, reason: '' };
  return { ok: false, reason: result.error?.message ?? (result.stderr.trim() || `probe exited with ${result.status ?? result.signal}`) };
}

const probed = probe();

/** True when the probe connected. */
export const postgresAvailable = probed.ok;

if (!postgresAvailable) {
  const where = POSTGRES_TEST_URL.replace(/\/\/[^@/]*@/, '//…@');
  console.warn(`⚠ PostgreSQL not reachable at ${where} (${probed.reason}) — skipping PostgresStore suites. Set MESH_TEST_POSTGRES_URL to run them.`);
}

/** `describe` when PostgreSQL is reachable, `describe.skip` (reported as skipped) otherwise. */
export const describeIfPostgres: jest.Describe = postgresAvailable ? describe : describe.skip;

/** A schema name no other test run uses, e.g. `mesh_test_3f9a0c1b2d`. */
export function uniqueSchema(prefix = 'mesh_test'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Drops test schemas and everything in them. */
export async function dropSchemas(...schemas: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Runs one query on a fresh connection (for tests that inspect tables directly). */
export async function queryPostgres<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
