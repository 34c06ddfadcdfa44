/**
 * Both stores export the same files: PostgreSQL's CSV snapshot becomes Parquet through DuckDB in memory,
 * with the DuckDB store's column types, and both CSVs are written from their Parquet. The subgraph's
 * `/files` route leaves governed columns out for a caller without the scopes (here: auth off, nobody).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { exportRollups } from '../../subgraphs/kit/exports/exportRollups.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import { orderCancelled, orderPlaced } from '../subgraphs/cloudEvents.js';
import { POSTGRES_TEST_URL, describeIfPostgres, dropSchemas } from '../support/postgresAvailable.js';
import { uniqueNamespace } from '../support/testNamespace.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';

const HOUR = 3_600_000;
const start = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
const facts = [
  orderPlaced(new Date(start + 5 * 60_000), { orderId: 'o1', productId: 'p1', quantity: 2, unitPrice: 10.25, region: 'eu, west', channel: 'web' }),
  orderPlaced(new Date(start + 6 * 60_000), { orderId: 'o2', productId: 'p1', quantity: 3, unitPrice: 10, region: 'eu, west', channel: 'web' }),
  orderPlaced(new Date(start + 2 * HOUR), { orderId: 'o3', productId: 'p2', quantity: 4, unitPrice: 5, region: 'na', channel: 'store' }),
  orderCancelled(new Date(start + 2 * HOUR + 60_000), { orderId: 'o3', productId: 'p2', quantity: 4, unitPrice: 5, region: 'na', channel: 'store' }),
];

async function duckDb<T>(work: (sql: (text: string) => Promise<Array<Record<string, unknown>>>) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await work(async (text) => (await connection.runAndReadAll(text)).getRowObjectsJson());
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describeIfPostgres('exports from DuckDB and PostgreSQL', () => {
  const namespace = uniqueNamespace();
  const dirs: Record<'duckdb' | 'postgres', string> = { duckdb: '', postgres: '' };
  const subgraphs: Partial<Record<'duckdb' | 'postgres', RunningSubgraph>> = {};

  beforeAll(async () => {
    for (const kind of ['duckdb', 'postgres'] as const) {
      dirs[kind] = await mkdtemp(path.join(tmpdir(), `mesh-exports-${kind}-`));
      const store = kind === 'duckdb' ? { kind, path: ':memory:' } : { kind, url: POSTGRES_TEST_URL };
      const subgraph = await startSubgraph(testSubgraphConfig('orders', dirs[kind], { store, namespace }));
      subgraphs[kind] = subgraph;
      const response = await fetch(`http://127.0.0.1:${subgraph.served.port}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(facts),
      });
      expect(response.status).toBe(200);
      expect(await exportRollups(subgraph.runtime, dirs[kind])).toEqual({
        files: [
          { file: path.join(dirs[kind], 'orders', 'sales_hour.parquet'), rows: 2 },
          { file: path.join(dirs[kind], 'orders', 'sales_hour.csv'), rows: 2 },
        ],
        problems: [],
      });
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(Object.values(subgraphs).map((s) => s.close()));
    await dropSchemas(`mesh_${namespace}_orders`);
    await Promise.all(Object.values(dirs).map((dir) => (dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve())));
  });

  it('should count no store error for an export run on either store (PostgreSQL is asked for CSV, not refused Parquet)', async () => {
    for (const kind of ['duckdb', 'postgres'] as const) {
      const metrics = await (await fetch(`http://127.0.0.1:${subgraphs[kind]!.served.port}/metrics`)).text();
      expect(metrics).toMatch(/^mesh_data_product_store_duration_seconds_count\{[^}]*operation="exportRollup"[^}]*outcome="ok"[^}]*\} [1-9]/m);
      expect(metrics).not.toMatch(/^mesh_data_product_store_duration_seconds_count\{[^}]*operation="exportRollup"[^}]*outcome="error"/m);
    }
  });

  it('should write Parquet with the same columns, types and rows from both stores', async () => {
    const [duck, pg] = await duckDb(async (sql) =>
      Promise.all(
        (['duckdb', 'postgres'] as const).map(async (kind) => {
          const file = `read_parquet('${path.join(dirs[kind], 'orders', 'sales_hour.parquet')}')`;
          return { schema: await sql(`DESCRIBE SELECT * FROM ${file}`), rows: await sql(`SELECT * FROM ${file} ORDER BY bucket`) };
        }),
      ),
    );

    expect(pg.schema.map((c) => [c.column_name, c.column_type])).toEqual([
      ['bucket', 'TIMESTAMP'],
      ['product_id', 'VARCHAR'],
      ['region', 'VARCHAR'],
      ['channel', 'VARCHAR'],
      ['orders', 'DOUBLE'],
      ['cancellations', 'DOUBLE'],
      ['units', 'DOUBLE'],
      ['revenue', 'DOUBLE'],
    ]);
    expect(duck.schema).toEqual(pg.schema);
    expect(pg.rows).toEqual(duck.rows);
    expect(pg.rows[0]).toMatchObject({ product_id: 'p1', region: 'eu, west', orders: 2, units: 5, revenue: 50.5 });
  });

  it('should write the same CSV from both stores', async () => {
    const read = (kind: 'duckdb' | 'postgres') => readFile(path.join(dirs[kind], 'orders', 'sales_hour.csv'), 'utf8');
    const csv = await read('postgres');

    expect(csv).toBe(await read('duckdb'));
    expect(csv.split('\n')[0]).toBe('bucket,product_id,region,channel,orders,cancellations,units,revenue');
    // Timestamps in ISO 8601 with the UTC marker, as GraphQL and the SQL port write them.
    expect(csv.split('\n')[1]).toMatch(new RegExp(`^${new Date(start).toISOString().replace(/\./g, '\\.')},`));
    expect(csv).toContain('"eu, west"');
  });

  it('should record rows and covered hours in the descriptor of both stores', async () => {
    for (const kind of ['duckdb', 'postgres'] as const) {
      const descriptor = (await (await fetch(`http://127.0.0.1:${subgraphs[kind]!.served.port}/descriptor`)).json()) as {
        outputPorts: Array<Record<string, unknown>>;
      };
      const files = descriptor.outputPorts.filter((p) => p.kind === 'file');
      expect(files).toHaveLength(2);
      for (const port of files)
        expect(port).toMatchObject({ rows: 2, coveredFrom: new Date(start).toISOString(), coveredTo: new Date(start + 3 * HOUR).toISOString() });
    }
  });

  it.each(['duckdb', 'postgres'] as const)('should leave revenue out of files a caller without finance:read gets from the %s store', async (kind) => {
    for (const format of ['csv', 'parquet'] as const) {
      const response = await fetch(`http://127.0.0.1:${subgraphs[kind]!.served.port}/files/sales_hour.${format}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-mesh-withheld-columns')).toBe('revenue');
      const file = path.join(dirs[kind], `served.${format}`);
      await writeFile(file, Buffer.from(await response.arrayBuffer()));
      const reader = format === 'csv' ? `read_csv('${file}', header = true)` : `read_parquet('${file}')`;
      const columns = await duckDb(async (sql) => (await sql(`DESCRIBE SELECT * FROM ${reader}`)).map((c) => c.column_name));
      expect(columns).toEqual(['bucket', 'product_id', 'region', 'channel', 'orders', 'cancellations', 'units']);
    }
  });
});
