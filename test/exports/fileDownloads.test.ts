/**
 * Files consumers can get (issue #14 item 6): `GET /files/<product>/<file>` on the gateway, streamed from
 * the subgraph with the caller's signed identity; governed columns the caller may not read are left out.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { exportRollups } from '../../subgraphs/kit/exports/exportRollups.js';
import { startAuthMesh, type AuthMesh } from '../support/startAuthMesh.js';

let mesh: AuthMesh;
let scratch: string;

/** Rows of a downloaded file, read back by DuckDB (Parquet) or as CSV text. */
async function readBack(bytes: Buffer, format: 'csv' | 'parquet'): Promise<{ columns: string[]; rows: Array<Record<string, unknown>> }> {
  const file = path.join(scratch, `download-${Math.random().toString(36).slice(2)}.${format}`);
  await writeFile(file, bytes);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const source = format === 'parquet' ? `read_parquet('${file}')` : `read_csv('${file}', header = true)`;
    const reader = await connection.runAndReadAll(`SELECT * FROM ${source}`);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function download(file: string, token?: string) {
  const response = await fetch(`http://127.0.0.1:${mesh.gateway.port}/files/${file}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'mesh-downloads-'));
  mesh = await startAuthMesh();
  expect((await exportRollups(mesh.subgraphs.orders.runtime, mesh.exportDir)).problems).toEqual([]);
}, 60_000);
afterAll(async () => {
  await mesh?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('GET /files/<product>/<file>', () => {
  it.each(['csv', 'parquet'] as const)('should leave revenue out of the %s for a caller without finance:read', async (format) => {
    const token = await mesh.token({ scopes: ['orders:read'] });
    const { status, headers, bytes } = await download(`orders/sales_hour.${format}`, token);

    expect(status).toBe(200);
    expect(headers.get('x-mesh-withheld-columns')).toBe('revenue');
    const { columns, rows } = await readBack(bytes, format);
    expect(columns).toEqual(['bucket', 'product_id', 'region', 'channel', 'orders', 'cancellations', 'units']);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(Object.keys(row)).not.toContain('revenue');
    if (format === 'csv') expect(bytes.toString('utf8')).not.toMatch(/revenue/i);
  });

  it.each(['csv', 'parquet'] as const)('should serve the %s with revenue to a caller with finance:read', async (format) => {
    const token = await mesh.token({ scopes: ['finance:read'] });
    const { status, headers, bytes } = await download(`orders/sales_hour.${format}`, token);

    expect(status).toBe(200);
    expect(headers.get('x-mesh-withheld-columns')).toBeNull();
    expect(headers.get('content-type')).toMatch(format === 'csv' ? /^text\/csv/ : /parquet/);
    const { columns, rows } = await readBack(bytes, format);
    expect(columns).toContain('revenue');
    const units = rows.reduce((sum, row) => sum + Number(row.units), 0);
    const revenue = rows.reduce((sum, row) => sum + Number(row.revenue), 0);
    expect(units).toBeGreaterThan(0);
    expect(revenue).toBeGreaterThan(0);
  });

  it('should take the product by its descriptor id too, as the SQL port does', async () => {
    const token = await mesh.token({ scopes: ['finance:read'] });
    const byId = await download('orders.sales/sales_hour.csv', token);
    const byName = await download('orders/sales_hour.csv', token);

    expect(byId.status).toBe(200);
    expect(byId.bytes.equals(byName.bytes)).toBe(true);
  });

  it('should serve the manifest beside the files: rows, covered hours, when exported and as of which fact', async () => {
    const token = await mesh.token({ scopes: ['orders:read'] });
    const { status, headers, bytes } = await download('orders/sales_hour.json', token);
    const manifest = JSON.parse(bytes.toString('utf8'));

    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^application\/json/);
    expect(manifest).toEqual({
      rollup: 'sales',
      grain: 'hour',
      rows: expect.any(Number),
      coveredFrom: expect.any(String),
      coveredTo: expect.any(String),
      exportedAt: expect.any(String),
      asOf: (await mesh.subgraphs.orders.runtime.store.watermark())!.toISOString(),
    });
    expect(Date.parse(manifest.coveredTo)).toBeLessThanOrEqual(Date.parse(manifest.exportedAt));
  });

  it('should refuse an anonymous caller with 401', async () => {
    const { status, bytes } = await download('orders/sales_hour.csv');

    expect(status).toBe(401);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.stringMatching(/bearer token/) } });
  });

  it('should refuse a bad token with 401', async () => {
    const { status } = await download('orders/sales_hour.csv', 'not-a-token');

    expect(status).toBe(401);
  });

  it.each([
    ['an unknown file', 'orders/nothing_hour.csv'],
    ['a file not exported yet', 'inventory/movements_hour.csv'],
    ['an unknown product', 'nobody/sales_hour.csv'],
    ['the catalog, which has no files', 'mesh/sales_hour.csv'],
    ['a path outside the exports', 'orders/..%2F..%2Fetc%2Fpasswd'],
  ])('should answer 404 for %s', async (_case, file) => {
    const token = await mesh.token({ scopes: ['finance:read'] });
    const { status, bytes } = await download(file, token);

    expect(status).toBe(404);
    expect(JSON.parse(bytes.toString('utf8')).error.code).toBe('NOT_FOUND');
    expect(bytes.toString('utf8')).not.toContain(mesh.exportDir);
  });

  it('should refuse a direct request to the subgraph without the gateway identity', async () => {
    const response = await fetch(`http://127.0.0.1:${mesh.subgraphs.orders.served.port}/files/sales_hour.csv`);

    expect(response.status).toBe(401);
    expect(await response.text()).not.toMatch(/revenue/);
  });

  it('should list file ports with their gateway download URL, rows and covered hours in the catalog', async () => {
    const token = await mesh.token({ scopes: ['finance:read'] });
    const { body } = await mesh.query<any>(
      '{ dataProducts(domain: "orders") { outputPorts { kind format path url rows coveredFrom coveredTo exportedAt } } }',
      { token },
    );

    const files = body.data.dataProducts[0].outputPorts.filter((p: { kind: string }) => p.kind === 'file');
    expect(files.map((p: { url: string }) => p.url)).toEqual([
      `http://127.0.0.1:${mesh.gateway.port}/files/orders/sales_hour.parquet`,
      `http://127.0.0.1:${mesh.gateway.port}/files/orders/sales_hour.csv`,
    ]);
    for (const port of files) {
      expect(port.rows).toBeGreaterThan(0);
      expect(Date.parse(port.coveredFrom)).toBeLessThan(Date.parse(port.coveredTo));
      expect(JSON.stringify(port)).not.toContain(mesh.exportDir);
    }
    const { status } = await download(new URL(files[1].url).pathname.replace(/^\/files\//, ''), token);
    expect(status).toBe(200);
  });
});
