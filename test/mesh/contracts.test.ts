/**
 * Metadata from the schema, end to end: the orders SDL classifies fields with `@classification`, the real
 * gateway composes the subgraphs' served SDL (the directive kept through `@composeDirective`), and the
 * catalog shows, and the ODCS and AsyncAPI contracts carry, the classification the SDL declares.
 */
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startTestMesh, type TestMesh } from '../support/startTestMesh.js';

type Contract = Record<string, any>;

describe('product contracts and classification from the SDL', () => {
  let mesh: TestMesh;
  let base: string;

  beforeAll(async () => {
    mesh = await startTestMesh();
    base = mesh.gateway.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await mesh?.close();
  });

  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return { response, text: await response.text() };
  };
  /** Nothing internal: no subgraph address, no server path. */
  const expectNoInternalAddress = (text: string) => {
    for (const subgraph of Object.values(mesh.subgraphs)) expect(text).not.toContain(new URL(subgraph.served.url).host);
    expect(text).not.toContain(path.resolve('.'));
    expect(text).not.toContain(os.tmpdir());
  };

  it('should keep @classification in the composed supergraph and show the SDL level in the catalog', async () => {
    const supergraph = mesh.gateway.supergraphSdl()!;
    expect(supergraph).toMatch(
      /customerEmail: String @join__field\(graph: ORDERS\) @requiresScopes\(scopes: \[\["pii:read"\]\]\) @classification\(level: PII\)/,
    );
    expect(supergraph).toContain('@link(url: "https://specs.graphql-data-mesh.dev/classification/v1.0", import: ["@classification"])');

    const { text } = await get('/catalog/orders.sales');
    // OrderTotals.averageOrderValue was missing from the descriptor's hand-typed list: the SDL classifies it.
    expect(text).toMatch(
      /<code>OrderTotals\.averageOrderValue<\/code><\/td><td><code>Float<\/code><\/td><td><\/td><td><span class="tag confidential">confidential<\/span><\/td><td>finance:read<\/td>/,
    );
    expect(text).toMatch(/<code>Order\.customerEmail<\/code>.*<span class="tag pii">pii<\/span><\/td><td>pii:read<\/td>/);
    expect(text).toMatch(/<code>Order\.quantity<\/code>.*<span class="tag public">public<\/span>/);
    const { body } = await mesh.query(`{ dataProduct(id: "orders.sales") { classifiedFields { coordinate classification } } }`);
    expect(body.data.dataProduct.classifiedFields).toContainEqual({ coordinate: 'OrderTotals.averageOrderValue', classification: 'confidential' });
  });

  it('should link both contracts from the product page and list them as output ports at the gateway', async () => {
    const { text } = await get('/catalog/orders.sales');
    expect(text).toContain('<a class="contract" href="/catalog/orders.sales/contract.yaml">');
    expect(text).toContain('<a class="contract" href="/catalog/orders.sales/asyncapi.yaml">');

    const { body } = await mesh.query(`{ dataProduct(id: "orders.sales") { outputPorts { kind format url } } }`);
    expect(body.data.dataProduct.outputPorts.filter((p: { kind: string }) => p.kind === 'contract')).toEqual([
      { kind: 'contract', format: 'odcs', url: `${base}/catalog/orders.sales/contract.yaml` },
      { kind: 'contract', format: 'asyncapi', url: `${base}/catalog/orders.sales/asyncapi.yaml` },
    ]);
  });

  it('should serve an ODCS v3 contract with the schema as exposed, classifications, SLAs and the gateway as server', async () => {
    const { response, text } = await get('/catalog/orders.sales/contract.yaml');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/yaml/);
    expectNoInternalAddress(text);
    const contract = parseYaml(text) as Contract;

    expect(contract).toMatchObject({
      apiVersion: expect.stringMatching(/^v3\.\d+\.\d+$/),
      kind: 'DataContract',
      id: 'orders.sales',
      name: 'Order sales',
      version: '1.0.0',
      status: 'active',
      domain: 'orders',
      description: { purpose: expect.stringContaining('Net sales') },
      team: [{ username: 'orders-team@example.com', name: 'Order Management', role: 'owner' }],
    });
    const property = (object: string, name: string) =>
      (contract.schema as Contract[]).find((o) => o.name === object)?.properties.find((p: Contract) => p.name === name);
    expect(property('OrderBucket', 'revenue')).toEqual({
      name: 'revenue',
      logicalType: 'number',
      physicalType: 'Float',
      description: 'Net revenue in EUR.',
      required: false,
      classification: 'confidential',
      customProperties: [{ property: 'access', value: 'finance:read' }],
    });
    expect(property('Order', 'customerEmail')).toMatchObject({ classification: 'pii', customProperties: [{ property: 'access', value: 'pii:read' }] });
    expect(property('OrderBucket', 'orders')).toMatchObject({ logicalType: 'integer', required: true, classification: 'public' });
    expect(property('OrderHistory', 'buckets')).toMatchObject({ logicalType: 'array', physicalType: '[OrderBucket!]!' });
    expect(property('OrderBucket', 'start')).toMatchObject({ logicalType: 'date', required: true });
    // Every field a scope governs carries its classification: finance fields confidential, the e-mail pii.
    const scoped = (contract.schema as Contract[]).flatMap((o) =>
      o.properties
        .filter((p: Contract) => /:read/.test(p.customProperties?.[0]?.value ?? ''))
        .map((p: Contract) => [`${o.name}.${p.name}`, p.customProperties[0].value, p.classification]),
    );
    expect(scoped.length).toBeGreaterThanOrEqual(13);
    for (const [coordinate, scope, level] of scoped) expect([coordinate, level]).toEqual([coordinate, scope === 'pii:read' ? 'pii' : 'confidential']);
    expect(property('Product', 'sales')).toMatchObject({ classification: 'public', customProperties: [{ property: 'access', value: 'authenticated' }] });
    expect(contract.slaProperties).toEqual(
      expect.arrayContaining([
        { property: 'latency', value: 60, unit: 's', driver: 'operational' },
        { property: 'retention', value: 730, unit: 'd', driver: 'regulatory' },
        { property: 'availability', value: 99.5, unit: '%', driver: 'operational' },
      ]),
    );
    expect(contract.servers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ server: 'graphql', type: 'api', location: mesh.gateway.url }),
        expect.objectContaining({ server: 'graphql-ws', type: 'api', location: mesh.gateway.url.replace(/^http/, 'ws') }),
      ]),
    );
    expect((contract.schema as Contract[]).map((o) => o.name)).not.toContain('Query');
  });

  it('should serve an AsyncAPI 3.0 document of the subscriptions with payload schemas from the SDL and bearer JWT security', async () => {
    const { response, text } = await get('/catalog/orders.sales/asyncapi.yaml');
    expect(response.status).toBe(200);
    expectNoInternalAddress(text);
    const doc = parseYaml(text) as Contract;
    const json = (await (await fetch(`${base}/catalog/orders.sales/asyncapi.json`)).json()) as Contract;
    expect(json).toEqual(doc);

    expect(doc).toMatchObject({ asyncapi: '3.0.0', info: { title: 'Order sales', version: '1.0.0' } });
    const gateway = new URL(mesh.gateway.url);
    expect(doc.servers.gateway).toMatchObject({
      host: gateway.host,
      protocol: 'ws',
      pathname: '/graphql',
      security: [{ $ref: '#/components/securitySchemes/bearerJwt' }],
    });
    expect(doc.channels.orderBucketUpdated).toMatchObject({
      address: 'orderBucketUpdated',
      messages: { next: { $ref: '#/components/messages/orderBucketUpdatedNext' } },
    });
    expect(doc.operations['receive-orderBucketUpdated']).toMatchObject({
      action: 'receive',
      channel: { $ref: '#/channels/orderBucketUpdated' },
      messages: [{ $ref: '#/channels/orderBucketUpdated/messages/next' }],
      'x-graphql-operation': expect.stringContaining('subscription OrderBucketUpdated'),
    });
    expect(doc.components.messages.orderBucketUpdatedNext.payload.properties.data.properties.orderBucketUpdated).toEqual({
      oneOf: [{ $ref: '#/components/schemas/OrderBucketEvent' }, { type: 'null' }],
    });
    expect(doc.components.schemas.OrderBucket.properties.revenue).toEqual({
      type: ['number', 'null'],
      description: 'Net revenue in EUR.',
      'x-classification': 'confidential',
      'x-requires': 'finance:read',
    });
    expect(doc.components.schemas.OrderBucket.properties.orders).toEqual({ type: 'integer', description: 'Orders placed.' });
    expect(doc.components.schemas.Granularity).toMatchObject({ type: 'string', enum: ['MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH'] });
    expect(doc.components.securitySchemes.bearerJwt).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    // Every $ref resolves inside the document.
    for (const ref of text.matchAll(/\$ref: "?#\/([^"\n]+)"?/g)) {
      const target = ref[1].split('/').reduce<any>((node, key) => node?.[key], doc);
      expect([ref[1], target === undefined ? 'dangling' : 'ok']).toEqual([ref[1], 'ok']);
    }
  });

  it('should serve a product without subscriptions an AsyncAPI document with no channel', async () => {
    // The catalog domain serves no subscription and has no event-mesh bridge in this mesh.
    const doc = parseYaml((await get('/catalog/catalog.products/asyncapi.yaml')).text) as Contract;
    expect(doc).toMatchObject({ asyncapi: '3.0.0', info: { title: expect.any(String) }, channels: {}, operations: {}, servers: {} });
  });
});
