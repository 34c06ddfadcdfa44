/**
 * The catalog pages (`/catalog`, `/catalog/<id>`), the offline IDE on GET /graphql and
 * `extensions.dataProducts` on responses, through the real gateway over the real domain subgraphs.
 */
import { DOMAIN_NAMES } from '../../subgraphs/domains.js';
import { IDE_ASSETS_DIGEST } from '../../gateway/ide/ideAssets.js';
import { startTestMesh, type TestMesh } from '../support/startTestMesh.js';

describe('catalog pages, IDE and freshness in responses', () => {
  let mesh: TestMesh;
  let base: string;

  beforeAll(async () => {
    mesh = await startTestMesh({ gatewayConfig: () => ({ landingPage: true }) });
    base = mesh.gateway.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await mesh?.close();
  });

  const get = async (path: string, accept = 'text/html') => {
    const response = await fetch(`${base}${path}`, { headers: { accept } });
    return { response, text: await response.text() };
  };
  /** Ids of the product cards the server left visible. */
  const visible = (html: string) => [...html.matchAll(/<section class="product" data-id="([^"]+)"[^>]*?(hidden)?>/g)].filter((m) => !m[2]).map((m) => m[1]);

  it('should filter the list by search words, domain, tag, classification and owner', async () => {
    // Every product: the four demo domains' and one per domain a team added with `npm run new-domain`.
    const all = visible((await get('/catalog')).text);
    expect(all).toEqual(expect.arrayContaining(['catalog.products', 'inventory.stock', 'orders.sales', 'shipping.deliveries']));
    expect(all).toHaveLength(DOMAIN_NAMES.length);
    expect(visible((await get('/catalog?q=delivery')).text)).toEqual(['shipping.deliveries']);
    expect(visible((await get('/catalog?domain=inventory')).text)).toEqual(['inventory.stock']);
    expect(visible((await get('/catalog?classification=pii')).text)).toEqual(['orders.sales']);
    expect(visible((await get('/catalog?tag=sales')).text)).toEqual(['orders.sales']);
    expect(visible((await get(`/catalog?owner=${encodeURIComponent('Order Management')}`)).text)).toEqual(['orders.sales']);
    expect(visible((await get('/catalog?q=delivery&domain=orders')).text)).toEqual([]);
  });

  it('should serve the list with a strict CSP and its own script', async () => {
    const { response, text } = await get('/catalog');

    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(text).toContain('<script src="/catalog/assets/catalog.js"></script>');
    expect(text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    const script = await get('/catalog/assets/catalog.js');
    expect(script.response.headers.get('content-type')).toMatch(/javascript/);
    expect(script.text).toContain('replaceState');
  });

  it('should show a product page with fields, scopes, classification, examples, ports and lineage', async () => {
    const { response, text } = await get('/catalog/orders.sales');

    expect(response.status).toBe(200);
    expect(text).toContain('Order sales');
    expect(text).toMatch(/<dt>Retention<\/dt><dd>facts 730 days; minute rows [^<]+; (last enforced|not enforced yet)/);
    expect(text).toMatch(
      /<code>OrderBucket\.revenue<\/code><\/td><td><code>Float<\/code><\/td><td>Net revenue in EUR\.<\/td><td><span class="tag confidential">confidential<\/span><\/td><td>finance:read<\/td>/,
    );
    expect(text).toMatch(/<code>Order\.customerEmail<\/code>.*<span class="tag pii">pii<\/span><\/td><td>pii:read<\/td>/);
    expect(text).toMatch(/<code>Query\.orderHistory<\/code>.*<td>authenticated<\/td>/);
    // Examples open in the IDE with the operation preloaded.
    const link = text.match(/<a class="open-in-ide" href="([^"]+)">/)![1].replace(/&amp;/g, '&');
    const preloaded = new URL(link, base).searchParams.get('query');
    expect(preloaded).toMatch(/^query OrderHistory \{\n {2}orderHistory\(range: \{ from: "[^"]+", to: "[^"]+" \}, granularity: HOUR\)/);
    expect(text).toContain('subscription OrderBucketUpdated');
    // Lineage: the orders domain adds `sales` to the catalog's Product, shipping adds `shipment` to Order.
    expect(text).toMatch(/<code>Product<\/code><\/td><td><b>catalog<\/b>: id, name, category, price, updatedAt<br>.*<b class="ok">orders<\/b>: id, sales/);
    expect(text).toMatch(/<code>Order<\/code><\/td><td><b class="ok">orders<\/b>: .*<br><b>shipping<\/b>: id, shipment/);
    // Ports: the gateway's public URL, never a subgraph's address.
    expect(text).toContain(`<code>${mesh.gateway.url}</code>`);
    expect(text).not.toContain(`:${mesh.ports.orders}`);
  });

  it('should run a generated example through the gateway', async () => {
    const { text } = await get('/catalog/orders.sales');
    const query = new URL(text.match(/<a class="open-in-ide" href="([^"]+)">/)![1].replace(/&amp;/g, '&'), base).searchParams.get('query')!;

    const { status, body } = await mesh.query(query);

    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.orderHistory.buckets.length).toBeGreaterThan(0);
  });

  it('should answer a product as JSON and 404 for an unknown product', async () => {
    const json = await get('/catalog/inventory.stock.json', 'application/json');
    expect(JSON.parse(json.text)).toMatchObject({ id: 'inventory.stock', freshness: { withinSlo: expect.any(Boolean) } });

    const unknown = await get('/catalog/nope');
    expect(unknown.response.status).toBe(404);
  });

  it('should serve the IDE with its assets from the gateway, a strict CSP and example tabs', async () => {
    const { response, text } = await get('/graphql');

    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    const sources = [...text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).toEqual(expect.arrayContaining([`/ide/assets/${IDE_ASSETS_DIGEST}/graphiql.js`, `/ide/assets/${IDE_ASSETS_DIGEST}/ide.js`]));
    for (const source of sources) {
      expect(source.startsWith('/ide/assets/')).toBe(true);
      const asset = await fetch(`${base}${source}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      await asset.arrayBuffer();
    }
    const config = JSON.parse(text.match(/<script type="application\/json" id="ide-config">([^<]*)<\/script>/)![1]);
    expect(config.examples.map((x: { productId: string }) => x.productId)).toEqual(expect.arrayContaining(['orders.sales', 'inventory.stock']));
    expect((await fetch(`${base}/ide/assets/stale/graphiql.js`)).status).toBe(404);
  });

  it('should still answer GraphQL GETs that do not ask for HTML', async () => {
    const response = await fetch(`${base}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });

    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('should carry the asOf of every product a response read in extensions.dataProducts', async () => {
    const { body } = await mesh.query(
      `query ($range: TimeRangeInput!) {
        orderHistory(range: $range, granularity: DAY, groupBy: [PRODUCT]) { asOf groups { key { product { name stock { onHand } } } } }
      }`,
      { range: mesh.story.range },
    );

    expect(body.errors).toBeUndefined();
    const newest = (domain: 'orders' | 'catalog' | 'inventory') =>
      new Date(Math.max(...mesh.story.events[domain].map((e) => Date.parse(e.time)))).toISOString();
    expect(body.extensions.dataProducts).toEqual([
      { id: 'catalog.products', asOf: newest('catalog') },
      { id: 'inventory.stock', asOf: newest('inventory') },
      { id: 'orders.sales', asOf: body.data.orderHistory.asOf },
    ]);
    expect(body.data.orderHistory.asOf).toBe(newest('orders'));
  });

  it('should carry no dataProducts extension when no product was read', async () => {
    const { body } = await mesh.query(`{ dataProducts { id } }`);

    expect(body.errors).toBeUndefined();
    expect(body.extensions?.dataProducts).toBeUndefined();
  });
});
