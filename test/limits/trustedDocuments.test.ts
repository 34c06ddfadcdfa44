/**
 * Trusted documents through a real gateway: in safelist mode only registered operations run (by id,
 * by `documentId`, or by their text), over HTTP and websocket, and registering more needs no restart;
 * with the safelist off, Apollo's automatic persisted queries work as before.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { registerTrustedDocuments } from '../../scripts/registerTrustedDocuments.js';
import { startAuthMesh, type AuthMesh } from '../support/startAuthMesh.js';
import { startLimitsGateway, type LimitsGateway } from './limitsGateway.js';

let mesh: AuthMesh;
let safelist: LimitsGateway;
let open: LimitsGateway;
let dir: string;
let store: string;
let ids: Record<string, string>;
let bodies: Record<string, string>;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mesh-trusted-'));
  store = path.join(dir, 'trusted-documents.json');
  writeFileSync(path.join(dir, 'client.graphql'), 'query Categories { categories }\nquery Product($id: ID!) { product(id: $id) { ...Names } }\n');
  writeFileSync(path.join(dir, 'fragments.graphql'), 'fragment Names on Product { id name }\n');
  const { operations } = registerTrustedDocuments(store, [path.join(dir, 'client.graphql'), path.join(dir, 'fragments.graphql')]);
  ids = Object.fromEntries(operations.map((op) => [op.name, op.id]));
  bodies = Object.fromEntries(operations.map((op) => [op.name, op.body]));
  mesh = await startAuthMesh();
  safelist = await startLimitsGateway(mesh, { trustedDocuments: { mode: 'safelist', file: store } });
  open = await startLimitsGateway(mesh);
});
afterAll(async () => {
  await safelist?.close();
  await open?.close();
  await mesh?.close();
  rmSync(dir, { recursive: true, force: true });
});

const codes = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => (body.errors ?? []).map((e) => e.extensions?.code);
const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe('safelist mode', () => {
  it('should refuse an unregistered operation with 400 PERSISTED_QUERY_NOT_IN_LIST and no subgraph call', async () => {
    mesh.clearReceived();
    const answer = await safelist.post({ query: '{ products(first: 1) { edges { node { id } } } }' });
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(Object.values(mesh.received).flat()).toEqual([]);
  });

  it('should run a registered operation sent as its text, also formatted differently', async () => {
    expect((await safelist.post({ query: bodies.Categories })).body).toEqual({
      extensions: { dataProducts: expect.any(Array) },
      data: { categories: expect.any(Array) },
    });
    const reformatted = 'query Product($id: ID!) { product(id: $id) { ...Names } } fragment Names on Product { id, name }';
    expect((await safelist.post({ query: reformatted, variables: { id: 'p1' } })).body).toEqual({
      extensions: { dataProducts: expect.any(Array) },
      data: { product: { id: 'p1', name: expect.any(String) } },
    });
  });

  it('should run a registered operation by id: persistedQuery hash, documentId, and over GET', async () => {
    expect((await safelist.post({ extensions: apq(ids.Categories) })).body).toEqual({
      extensions: { dataProducts: expect.any(Array) },
      data: { categories: expect.any(Array) },
    });
    expect((await safelist.post({ documentId: `sha256:${ids.Product}`, variables: { id: 'p1' } })).body.data).toEqual({
      product: { id: 'p1', name: expect.any(String) },
    });
    const get = await safelist.get({ extensions: JSON.stringify(apq(ids.Categories)) });
    expect(get.status).toBe(200);
    expect(get.body.data.categories).toEqual(expect.any(Array));
    expect((await safelist.get({ documentId: ids.Categories })).body.data.categories).toEqual(expect.any(Array));
  });

  it('should answer an unknown id with PERSISTED_QUERY_NOT_FOUND', async () => {
    const answer = await safelist.post({ extensions: apq('0'.repeat(64)) });
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('should hold over websocket: unregistered refused, registered run by text and by id', async () => {
    const client = safelist.ws();
    expect(codes(await safelist.wsOnce(client, { query: '{ product(id: "p1") { price } }' }))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect((await safelist.wsOnce(client, { query: bodies.Categories })).data).toEqual({ categories: expect.any(Array) });
    expect((await safelist.wsOnce(client, { query: '', extensions: apq(ids.Categories) })).data).toEqual({ categories: expect.any(Array) });
  });

  it('should admit an operation registered while the gateway runs', async () => {
    const query = 'query Later { product(id: "p2") { name } }';
    expect(codes((await safelist.post({ query })).body)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    writeFileSync(path.join(dir, 'later.graphql'), query);
    registerTrustedDocuments(store, [path.join(dir, 'later.graphql')]);
    // The gateway checks the file every 2 s: ask until it answers, within a bound.
    let last: { data?: unknown } = {};
    for (const deadline = Date.now() + 10_000; !last.data && Date.now() < deadline;) {
      last = (await safelist.post({ query })).body;
      if (!last.data) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(last).toEqual({ extensions: { dataProducts: expect.any(Array) }, data: { product: { name: expect.any(String) } } });
  });
});

describe('safelist off', () => {
  it("should keep Apollo's automatic persisted queries working", async () => {
    const query = '{ categories }';
    const hash = createHash('sha256').update(query).digest('hex');
    expect(codes((await open.post({ extensions: apq(hash) })).body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect((await open.post({ query, extensions: apq(hash) })).body.data).toEqual({ categories: expect.any(Array) });
    expect((await open.post({ extensions: apq(hash) })).body.data).toEqual({ categories: expect.any(Array) });
  });

  it('should still check the limits of an APQ hit with its new variables', async () => {
    const query = 'query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: MINUTE) { buckets { start } } }';
    const hash = createHash('sha256').update(query).digest('hex');
    const token = await mesh.token({ scopes: ['orders:read'] });
    const small = { r: { from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00Z' } };
    expect((await open.post({ query, variables: small, extensions: apq(hash) }, token)).status).toBe(200);
    const huge = { r: { from: '2020-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } };
    const answer = await open.post({ variables: huge, extensions: apq(hash) }, token);
    expect(answer.status).toBe(400);
    expect(codes(answer.body)).toEqual(['COST_ESTIMATED_TOO_EXPENSIVE']);
  });
});
