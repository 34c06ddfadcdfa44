/**
 * The file-based access style: every rollup's hourly aggregates exported as Parquet and CSV into the
 * export folder, listed in the descriptor once written.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';
import { orderPlaced } from './cloudEvents.js';

describe('rollup exports', () => {
  let exportDir: string;
  let orders: RunningSubgraph;
  const base = () => orders.served.url.replace(/\/graphql$/, '');
  const descriptorFiles = async () =>
    (
      (await (await fetch(`${base()}/descriptor`)).json()) as { outputPorts: Array<{ kind: string; format?: string; path?: string; exportedAt?: string }> }
    ).outputPorts.filter((p) => p.kind === 'file');

  beforeAll(async () => {
    exportDir = await mkdtemp(path.join(tmpdir(), 'mesh-exports-test-'));
    // A long interval: the test runs exports itself with runNow().
    orders = await startSubgraph(testSubgraphConfig('orders', exportDir, { exportIntervalMs: 3_600_000 }));
    // Anchored to an hour start, so p1's two facts share one hour row whatever the clock says.
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
    const facts = [
      orderPlaced(new Date(hour + 5 * 60_000), { productId: 'p1', quantity: 2, unitPrice: 10, region: 'eu' }),
      orderPlaced(new Date(hour + 6 * 60_000), { productId: 'p1', quantity: 3, unitPrice: 10, region: 'eu' }),
      orderPlaced(new Date(hour + 2 * 3_600_000 + 5 * 60_000), { productId: 'p2', quantity: 4, unitPrice: 5, region: 'na' }),
    ];
    const response = await fetch(`${base()}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(facts) });
    expect(response.status).toBe(200);
  });
  afterAll(async () => {
    await orders?.close();
    await rm(exportDir, { recursive: true, force: true });
  });

  it('should not advertise files before they are written', async () => {
    expect(await descriptorFiles()).toEqual([]);
  });

  it('should export hourly aggregates as Parquet and CSV and list them in the descriptor', async () => {
    const report = await orders.exports!.runNow();

    expect(report.problems).toEqual([]);
    const parquet = path.join(exportDir, 'orders', 'sales_hour.parquet');
    const csv = path.join(exportDir, 'orders', 'sales_hour.csv');
    expect(report.files.map((f) => f.file).sort()).toEqual([csv, parquet]);

    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const rows = (
      await connection.runAndReadAll(
        `SELECT product_id, sum(units) AS units, sum(orders) AS orders, sum(revenue) AS revenue FROM read_parquet('${parquet}') GROUP BY 1 ORDER BY 1`,
      )
    ).getRowObjectsJson();
    connection.closeSync();
    instance.closeSync();
    expect(rows).toEqual([
      { product_id: 'p1', units: 5, orders: 2, revenue: 50 },
      { product_id: 'p2', units: 4, orders: 1, revenue: 20 },
    ]);

    const lines = (await readFile(csv, 'utf8')).trim().split('\n');
    expect(lines[0].split(',')).toEqual(expect.arrayContaining(['bucket', 'product_id', 'region', 'channel', 'orders', 'units', 'revenue']));
    expect(lines).toHaveLength(1 + 2); // two hour rows: p1's hour and p2's hour

    const ports = await descriptorFiles();
    expect(ports.map((p) => [p.format, p.path])).toEqual([
      ['parquet', 'orders/sales_hour.parquet'],
      ['csv', 'orders/sales_hour.csv'],
    ]);
    for (const port of ports) expect(Date.now() - Date.parse(port.exportedAt!)).toBeLessThan(60_000);
  });

  it('should replace files atomically, leaving no partial file behind', async () => {
    await orders.exports!.runNow();

    const { readdir } = await import('node:fs/promises');
    expect((await readdir(path.join(exportDir, 'orders'))).sort()).toEqual(['sales_hour.csv', 'sales_hour.json', 'sales_hour.parquet']);
  });
});
