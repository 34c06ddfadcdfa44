/**
 * A gateway and the four domain subgraphs on loopback with auth on, the orders subgraph serving the SQL
 * port over the given store (in-memory DuckDB, or PostgreSQL in a namespace of its own), for the SQL port
 * suites. Facts are posted with producer tokens; `sql()` posts to the gateway's `/sql` with a user token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startGateway, type RunningGateway } from '../../gateway/index.js';
import { DOMAIN_NAMES, type DomainName } from '../../subgraphs/domains.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import type { StoreConfig, SubgraphConfig } from '../../subgraphs/subgraphConfig.js';
import type { SqlLimits } from '../../subgraphs/kit/index.js';
import { signDevToken } from '../../scripts/devToken.js';
import { TEST_GATEWAY_SECRET, TEST_PRODUCERS, testGatewayAuth } from './startAuthMesh.js';
import { testGatewayConfig } from './testGatewayConfig.js';
import { testSubgraphConfig } from './testSubgraphConfig.js';
import { POSTGRES_TEST_URL } from './postgresAvailable.js';
import { uniqueNamespace } from './testNamespace.js';

export interface SqlAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON. */
  body: any;
}

export interface SqlMesh {
  gateway: RunningGateway;
  subgraphs: Record<DomainName, RunningSubgraph>;
  /** POST /sql on the gateway, as a caller with these scopes (no token when `scopes` is null). */
  sql(request: { product?: string; sql: string; params?: unknown[] }, scopes: readonly string[] | null, accept?: string): Promise<SqlAnswer>;
  /** Posts facts to a subgraph with a producer token. */
  post(domain: DomainName, events: object[]): Promise<void>;
  /** The orders PostgreSQL schema (null on DuckDB). */
  schema: string | null;
  close(): Promise<void>;
}

export async function startSqlMesh(options: { store: 'duckdb' | 'postgres'; limits: Partial<SqlLimits> }): Promise<SqlMesh> {
  const exportDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-sql-'));
  const namespace = options.store === 'postgres' ? uniqueNamespace() : undefined;
  const store: StoreConfig = options.store === 'postgres' ? { kind: 'postgres', url: POSTGRES_TEST_URL } : { kind: 'duckdb', path: ':memory:', threads: 1 };
  const schema = namespace ? `mesh_${namespace}_orders` : null;
  const configFor = (domain: DomainName): SubgraphConfig =>
    testSubgraphConfig(domain, exportDir, {
      auth: { gatewaySecret: TEST_GATEWAY_SECRET, producers: TEST_PRODUCERS },
      ...(domain === 'orders' && { store, sql: options.limits, ...(namespace && { namespace }) }),
    });
  const subgraphs = {} as Record<DomainName, RunningSubgraph>;
  let gateway: RunningGateway | undefined;
  const close = async () => {
    await gateway?.close();
    await Promise.all(Object.values(subgraphs).map((s) => s.close()));
    rmSync(exportDir, { recursive: true, force: true });
    if (schema) await dropPostgresSqlPort(schema);
  };
  try {
    await Promise.all(DOMAIN_NAMES.map(async (domain) => void (subgraphs[domain] = await startSubgraph(configFor(domain)))));
    gateway = await startGateway({
      config: testGatewayConfig(
        DOMAIN_NAMES.map((name) => ({ name, url: subgraphs[name].served.url })),
        { auth: testGatewayAuth() },
      ),
      log: () => {},
    });
  } catch (error) {
    await close();
    throw error;
  }
  const running = gateway;
  return {
    gateway: running,
    subgraphs,
    schema,
    async sql(request, scopes, accept) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (scopes) headers.authorization = `Bearer ${await signDevToken({ scopes: [...scopes], ttlSeconds: 600 })}`;
      if (accept) headers.accept = accept;
      const response = await fetch(`http://127.0.0.1:${running.port}/sql`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ product: 'orders', ...request }),
      });
      const text = await response.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // CSV
      }
      return { status: response.status, headers: response.headers, text, body };
    },
    async post(domain, events) {
      const producer = await signDevToken({ scopes: [`${domain}:write`], ttlSeconds: 60, sub: 'test-producer' });
      const response = await fetch(`http://127.0.0.1:${subgraphs[domain].served.port}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${producer}` },
        body: JSON.stringify(events),
      });
      if (response.status !== 200) throw new Error(`POST /events to ${domain} answered ${response.status}: ${await response.text()}`);
    },
    close,
  };
}

/** Drops the product schema, the SQL port's view schemas beside it and its role. */
async function dropPostgresSqlPort(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2`, [
      schema,
      `${schema}\\_sql\\_%`,
    ]);
    for (const { nspname } of rows) await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(nspname)} CASCADE`);
    await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(`${schema}_sql`)}`);
  } finally {
    await client.end();
  }
}
