/**
 * The catalog's HTTP routes and the IDE routes over real loopback servers: a subgraph (scripted) serves
 * a hostile descriptor, the gateway-side routes render it escaped; filters, unknown products, the
 * not-ready answer and the IDE's refusals.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { parse, buildASTSchema } from 'graphql';
import { parse as parseYaml } from 'yaml';
import { catalogRoutes } from '../../gateway/catalog/catalogRoutes.js';
import { createCatalog } from '../../gateway/catalog/createCatalog.js';
import { ideRoutes } from '../../gateway/ide/ideRoutes.js';
import { json, startScriptedServer, type ScriptedServer } from '../support/startScriptedServer.js';

const EVIL = '<script>alert(1)</script>';
const descriptor = {
  id: `evil.${EVIL}`,
  name: `Evil ${EVIL}`,
  domain: 'evil',
  version: '1.0.0',
  status: 'active',
  description: { purpose: `Purpose ${EVIL}`, limitations: `"><img src=x onerror=alert(1)>`, usage: EVIL },
  owner: { team: `Team ${EVIL}`, contact: `x@example.com"><script>alert(2)</script>` },
  slos: { freshnessSeconds: 60, availability: 0.99, retentionDays: 7 },
  classification: { 'Thing.secret': 'pii' },
  tags: [EVIL, 'plain'],
  outputPorts: [
    { kind: 'graphql-query', url: 'http://10.0.0.7:4001/graphql', fields: ['things'] },
    { kind: 'file', format: 'parquet', path: '/srv/mesh/exports/evil/things.parquet', description: EVIL, exportedAt: '2026-01-01T00:00:00Z' },
    {
      kind: 'file',
      format: 'csv',
      path: 'evil/things_hour.csv',
      description: 'x',
      exportedAt: '2026-01-01T00:00:00Z',
      rows: 12,
      coveredFrom: '2026-01-01T00:00:00Z',
      coveredTo: '2026-01-01T12:00:00Z',
    },
    { kind: 'event-subject', subject: `mesh.evil.${EVIL}`, description: 'x' },
    { kind: 'event-mesh', direction: 'out', broker: 'mqtt://broker:1883', topic: EVIL, binding: 'cloudevents-mqtt-structured', withheld: ['Thing.secret'] },
    { kind: 'mystery', description: EVIL },
  ],
  asOf: '2026-01-01T00:00:00.000Z',
  freshness: { lagSeconds: 30, withinSlo: true },
  factCount: 3,
  factTypes: ['ThingSeen'],
  retention: { factDays: 30, grainDays: { minute: 30, hour: 30, day: null }, intervalSeconds: 3600, lastRun: null },
};

const SUPERGRAPH_LIKE = `
enum join__Graph { EVIL @join__graph(name: "evil", url: "http://10.0.0.7:4001/graphql") }
type Query @join__type(graph: EVIL) { "Things ${EVIL}" things: [Thing!]! }
type Thing @join__type(graph: EVIL, key: "id") { id: ID! secret: String }
`;

describe('catalog routes', () => {
  let subgraph: ScriptedServer;
  let server: Server;
  let base: string;
  let ready = true;

  beforeAll(async () => {
    subgraph = await startScriptedServer((_req, res) => json(res, descriptor));
    const document = parse(SUPERGRAPH_LIKE);
    const apiSchema = buildASTSchema(parse(`type Query { "Things ${EVIL}" things: [Thing!]! } type Thing { id: ID! secret: String }`));
    const catalog = createCatalog({
      addresses: () => ({ evil: { url: subgraph.url, wsUrl: subgraph.url.replace(/^http/, 'ws'), urls: [subgraph.url], wsUrls: [] } }),
      publicEndpoints: () => ({
        graphqlUrl: 'https://mesh.example.com/graphql',
        wsUrl: 'wss://mesh.example.com/graphql',
        filesUrl: 'https://mesh.example.com/files/',
        sqlUrl: 'https://mesh.example.com/sql',
        catalogUrl: 'https://mesh.example.com/catalog',
      }),
      schema: () => ({
        apiSchema,
        document,
        requirementOf: (type, field) => (field === 'secret' ? { authenticated: false, scopes: [[['pii:read']]], policies: [] } : null),
      }),
    });
    const app = express();
    app.use(catalogRoutes({ catalog, ready: () => ready }));
    app.use(ideRoutes({ examples: () => Promise.reject(new Error('no catalog')) }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await subgraph.close();
  });

  const get = async (path: string, accept = 'text/html') => {
    const response = await fetch(`${base}${path}`, { headers: { accept } });
    return { status: response.status, text: await response.text(), headers: response.headers };
  };

  it('should escape a hostile descriptor on the list page', async () => {
    const { status, text } = await get('/catalog');

    expect(status).toBe(200);
    expect(text).not.toContain('<script>alert');
    expect(text).not.toContain('<img');
    expect(text).toContain('Evil &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text.match(/<script/g)).toHaveLength(1);
  });

  it('should escape a hostile descriptor on the product page and show no internal address or server path', async () => {
    const { status, text } = await get(`/catalog/${encodeURIComponent(descriptor.id)}`);

    expect(status).toBe(200);
    expect(text).not.toContain('<script>alert');
    expect(text).not.toContain('<img');
    expect(text.match(/<script/g)).toHaveLength(1);
    expect(text).toContain('Things &lt;script&gt;');
    expect(text).toContain('<code>https://mesh.example.com/graphql</code>');
    expect(text).not.toContain('10.0.0.7');
    expect(text).not.toContain('/srv/mesh');
    expect(text).toContain('<code>things.parquet</code>');
    expect(text).toContain(
      '<a href="https://mesh.example.com/files/evil/things_hour.csv"><code>evil/things_hour.csv</code></a></td><td>csv · x · 12 rows · covers 2026-01-01T00:00:00Z to 2026-01-01T12:00:00Z · exported 2026-01-01T00:00:00Z</td>',
    );
    expect(text).toContain('<dt>Retention</dt><dd>facts 30 days; minute rows 30 days, hour rows 30 days, day rows forever; not enforced yet</dd>');
    expect(text).toMatch(
      /<code>Thing\.secret<\/code><\/td><td><code>String<\/code><\/td><td><\/td><td><span class="tag pii">pii<\/span><\/td><td>pii:read<\/td>/,
    );
  });

  it('should filter on the server with the query string', async () => {
    expect((await get('/catalog?q=nothing-like-this')).text).toMatch(/<section class="product"[^>]* hidden>/);
    expect((await get('/catalog?tag=plain&classification=pii')).text).not.toMatch(/<section class="product"[^>]* hidden>/);
    expect((await get('/catalog?owner=someone')).text).toMatch(/<span id="count">0<\/span>/);
  });

  it('should answer 404 for an unknown product and an unknown asset, 503 before a supergraph', async () => {
    expect((await get('/catalog/nope')).status).toBe(404);
    expect((await get('/catalog/nope.json')).status).toBe(404);
    expect((await get('/catalog/assets/other.js')).status).toBe(404);
    expect((await get('/catalog/assets/catalog.css')).headers.get('content-type')).toMatch(/text\/css/);
    ready = false;
    try {
      expect((await get('/catalog')).status).toBe(503);
      expect((await get('/catalog/evil')).status).toBe(503);
    } finally {
      ready = true;
    }
  });

  it('should serve the contracts of a hostile descriptor as parseable YAML and JSON with no internal address or server path', async () => {
    const productPath = `/catalog/${encodeURIComponent(descriptor.id)}`;
    const odcs = await get(`${productPath}/contract.yaml`, '*/*');
    const asyncapiYaml = await get(`${productPath}/asyncapi.yaml`, '*/*');
    const asyncapiJson = await get(`${productPath}/asyncapi.json`, '*/*');

    expect([odcs.status, asyncapiYaml.status, asyncapiJson.status]).toEqual([200, 200, 200]);
    expect(odcs.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(asyncapiJson.headers.get('content-type')).toMatch(/^application\/json/);
    const contract = parseYaml(odcs.text);
    expect(contract).toMatchObject({ apiVersion: 'v3.0.2', kind: 'DataContract', id: descriptor.id, name: descriptor.name, status: 'active' });
    expect(contract.schema).toEqual([
      expect.objectContaining({
        name: 'Thing',
        properties: expect.arrayContaining([
          expect.objectContaining({ name: 'secret', classification: 'pii', customProperties: [{ property: 'access', value: 'pii:read' }] }),
        ]),
      }),
      // The exported hourly grain, by file name only (the descriptor's absolute path is not repeated).
      expect.objectContaining({ name: 'things', physicalName: 'things.parquet', physicalType: 'file' }),
      expect.objectContaining({
        name: 'things_hour',
        physicalName: 'things_hour.csv',
        physicalType: 'file',
        customProperties: [
          { property: 'formats', value: 'csv' },
          { property: 'rows', value: 12 },
          { property: 'coveredFrom', value: '2026-01-01T00:00:00Z' },
          { property: 'coveredTo', value: '2026-01-01T12:00:00Z' },
        ],
      }),
    ]);
    const asyncapi = JSON.parse(asyncapiJson.text);
    expect(parseYaml(asyncapiYaml.text)).toEqual(asyncapi);
    // The outbound event-mesh topic is a channel on its broker, with the CloudEvents envelope and what it withholds.
    expect(asyncapi).toMatchObject({
      asyncapi: '3.0.0',
      servers: { 'broker-1': { host: 'broker:1883', protocol: 'mqtt' } },
      channels: { 'event-mesh-1': { address: EVIL, servers: [{ $ref: '#/servers/broker-1' }], 'x-withheld': ['Thing.secret'] } },
      operations: { 'receive-event-mesh-1': { action: 'receive', messages: [{ $ref: '#/channels/event-mesh-1/messages/change' }] } },
      components: { messages: { ChangeCloudEvent: { payload: { required: expect.arrayContaining(['specversion', 'id', 'source', 'type', 'data']) } } } },
    });
    for (const text of [odcs.text, asyncapiYaml.text, asyncapiJson.text]) {
      expect(text).not.toContain('10.0.0.7');
      expect(text).not.toContain('/srv/mesh');
      expect(text).not.toContain(subgraph.url);
    }
    // The hostile strings stay data: YAML quotes them, the parsed value is the descriptor's own.
    expect(contract.description.limitations).toBe(descriptor.description.limitations);
  });

  it('should answer 404 for an unknown contract document or product, 503 before a supergraph', async () => {
    const productPath = `/catalog/${encodeURIComponent(descriptor.id)}`;
    expect((await get(`${productPath}/constructor`)).status).toBe(404);
    expect((await get(`${productPath}/odcs.yaml`)).status).toBe(404);
    expect((await get('/catalog/nope/contract.yaml')).status).toBe(404);
    ready = false;
    try {
      expect((await get(`${productPath}/contract.yaml`)).status).toBe(503);
    } finally {
      ready = true;
    }
  });

  it('should open the IDE without examples when they cannot be read, and pass non-HTML GETs on', async () => {
    const page = await get('/graphql');
    expect(page.status).toBe(200);
    expect(page.text).toContain('"examples":[]');

    expect((await get('/graphql', 'application/json')).status).toBe(404);
    expect((await get('/ide/assets/x/unknown.js')).status).toBe(404);
  });
});
