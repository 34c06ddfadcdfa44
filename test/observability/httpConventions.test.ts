/**
 * HTTP conventions of the gateway: the graphql-http server audit (GraphQL over HTTP) with no warnings,
 * `application/graphql-response+json` when accepted, and CORS from an allow-list.
 */
import { auditServer } from 'graphql-http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSubgraph } from '../../subgraphs/startSubgraph.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';
import { capturedLogger, startObservedMesh, type ObservedMesh } from './observedMesh.js';

const APP = 'https://app.example.com';
const SCRAPE_TOKEN = 'conventions-scrape-token';

describe('gateway HTTP conventions', () => {
  let mesh: ObservedMesh;
  beforeAll(async () => {
    mesh = await startObservedMesh({
      observability: { logLevel: 'info', logFormat: 'json', metricsOpen: false, metricsToken: SCRAPE_TOKEN, cors: { origins: [APP] } },
    });
  });
  afterAll(() => mesh?.close());

  it('should pass the graphql-http server audit with no errors and no warnings', async () => {
    const results = await auditServer({ url: mesh.gateway.url });
    const failed = results.filter((r) => r.status === 'error' || r.status === 'warn').map((r) => `${r.status}: ${r.name}`);
    expect(failed).toEqual([]);
    expect(results.filter((r) => r.status === 'ok').length).toBeGreaterThan(50);
  });

  const post = (accept: string | null, query: string) =>
    fetch(mesh.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(accept && { accept }) },
      body: JSON.stringify({ query }),
    });

  it('should answer application/graphql-response+json when the client accepts it, with 400 for a document that does not validate', async () => {
    const ok = await post('application/graphql-response+json, application/json;q=0.9', '{ categories }');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    const invalid = await post('application/graphql-response+json', '{ nope }');
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
  });

  it('should answer 200 to an application/json client for parse, validation and variable errors', async () => {
    for (const query of ['{', '{ nope }']) {
      const response = await post('application/json', query);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await response.json()) as { errors: unknown[] }).errors.length).toBe(1);
    }
  });

  it('should refuse a subscription over HTTP with 400 BAD_REQUEST pointing to websockets, not a 500', async () => {
    const response = await post('application/json', 'subscription { orderBucketUpdated(granularity: MINUTE) { cursor } }');
    expect(response.status).toBe(400);
    const body = (await response.json()) as { data?: unknown; errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.data).toBeUndefined();
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0].message).toMatch(/websockets.*graphql-ws/);
  });

  const preflight = (origin: string) =>
    fetch(mesh.gateway.url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('should answer a preflight from an allowed origin with 204 and the allow headers, without credentials', async () => {
    const response = await preflight(APP);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    const actual = await fetch(mesh.gateway.url, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json' },
      body: '{"query":"{ categories }"}',
    });
    expect(actual.headers.get('access-control-allow-origin')).toBe(APP);
    expect(actual.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  it('should give a preflight or request from another origin no Access-Control-Allow-Origin', async () => {
    const response = await preflight('https://evil.example.net');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await fetch(mesh.gateway.url, {
      method: 'POST',
      headers: { origin: 'https://evil.example.net', 'content-type': 'application/json' },
      body: '{"query":"{ categories }"}',
    });
    expect(actual.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("should serve the gateway's /metrics only with MESH_METRICS_TOKEN as a bearer token", async () => {
    expect((await fetch(`${mesh.base}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${mesh.base}/metrics`, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('mesh_gateway_operation_duration_seconds');
  });
});

describe('subgraph /metrics access', () => {
  it('should refuse scrapes of a subgraph configured closed (production without a token)', async () => {
    const exportDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-closed-'));
    const running = await startSubgraph(
      testSubgraphConfig('inventory', exportDir, { observability: { logLevel: 'info', logFormat: 'json', metricsOpen: false } }),
      { logger: capturedLogger('inventory-subgraph').logger },
    );
    try {
      const answer = await fetch(running.served.url.replace(/graphql$/, 'metrics'));
      expect(answer.status).toBe(403);
    } finally {
      await running.close();
      rmSync(exportDir, { recursive: true, force: true });
    }
  });
});
