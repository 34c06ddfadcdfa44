/**
 * The data product catalog served by the gateway: `dataProducts` / `dataProduct(id)` collected from every
 * domain's descriptor, and the human `/catalog` page.
 */
import { DOMAIN_NAMES } from '../../subgraphs/domains.js';
import { startTestMesh, type TestMesh } from '../support/startTestMesh.js';

const CATALOG = `{
  dataProducts {
    id name domain subgraph status factCount factTypes asOf
    owner { team contact }
    slos { freshnessSeconds availability retentionDays }
    freshness { lagSeconds withinSlo }
    classifiedFields { coordinate classification }
    outputPorts { kind url subject fields }
  }
}`;

describe('data product catalog', () => {
  let mesh: TestMesh;

  beforeAll(async () => {
    mesh = await startTestMesh();
  });
  afterAll(async () => {
    await mesh?.close();
  });

  it('should list every domain product with owner, SLOs, freshness and ports', async () => {
    const { status, body } = await mesh.query(CATALOG);

    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const products = body.data.dataProducts as Array<Record<string, any>>;
    // The four demo domains' products, and one per domain a team added with `npm run new-domain`.
    expect(products.map((p) => p.id)).toEqual(expect.arrayContaining(['catalog.products', 'inventory.stock', 'orders.sales', 'shipping.deliveries']));
    expect(products.map((p) => p.domain).sort()).toEqual([...DOMAIN_NAMES].sort());
    for (const product of products) {
      const seeded = mesh.story.events[product.domain as keyof typeof mesh.story.events] ?? [];
      expect(product.factCount).toBe(seeded.length);
      expect(product.subgraph).toBe(product.domain);
      expect(product.owner.team).toEqual(expect.any(String));
      expect(product.slos.freshnessSeconds).toBeGreaterThan(0);
      const newest = seeded.map((e) => Date.parse(e.time)).reduce((a, b) => Math.max(a, b));
      expect(Date.parse(product.asOf)).toBe(newest);
      const query = product.outputPorts.find((p: { kind: string }) => p.kind === 'graphql-query');
      // The gateway, where consumers reach every product (never the subgraph's internal address).
      expect(query.url).toBe(mesh.gateway.url);
    }
  });

  it('should show the classification of governed fields', async () => {
    const { body } = await mesh.query(`{ dataProduct(id: "orders.sales") { classifiedFields { coordinate classification } } }`);

    expect(body.data.dataProduct.classifiedFields).toEqual(
      expect.arrayContaining([
        { coordinate: 'OrderBucket.revenue', classification: 'confidential' },
        { coordinate: 'Order.customerEmail', classification: 'pii' },
      ]),
    );
  });

  it('should filter by domain and answer null for an unknown product', async () => {
    const { body } = await mesh.query(`{ inventory: dataProducts(domain: "inventory") { id } unknown: dataProduct(id: "nope") { id } }`);

    expect(body.data).toEqual({ inventory: [{ id: 'inventory.stock' }], unknown: null });
  });

  it('should serve a catalog page naming every product and owner', async () => {
    const response = await fetch(`${mesh.gateway.url.replace(/\/graphql$/, '')}/catalog`);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    for (const name of ['Product catalog', 'Order sales', 'Stock levels and movements', 'Delivery performance']) expect(html).toContain(name);
    expect(html).toContain('Order Management');
    expect(html).toContain('<span class="tag pii">pii</span>');
  });
});
