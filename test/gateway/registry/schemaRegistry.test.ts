/**
 * The schema registry end to end: publish over HTTP with a scoped token, refusals that name the field,
 * hot reload under a live subscription, rollback, and a file store that survives a gateway restart.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { RunningGateway } from '../../../gateway/index.js';
import { nextValue, waitFor } from '../../support/asyncWait.js';
import { startProductMesh, type ProductMesh } from '../../support/productMeshSubgraphs.js';
import { INVENTORY_SDL, OWNER, PRODUCTS_SDL, publish, query, registryCall, startRegistryGateway, tokenWith } from './registryHarness.js';

describe('schema registry', () => {
  let mesh: ProductMesh;
  let dir: string;
  let gateway: RunningGateway;
  let client: Client | undefined;
  const file = () => path.join(dir, 'registry.json');

  beforeAll(async () => {
    mesh = await startProductMesh();
    dir = mkdtempSync(path.join(os.tmpdir(), 'registry-'));
    gateway = await startRegistryGateway(mesh, { kind: 'file', path: file() });
  });
  afterAll(async () => {
    await client?.dispose();
    await gateway?.close();
    await mesh.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should refuse callers without a token or without a publish scope for that subgraph', async () => {
    const publication = { name: 'inventory', urls: [mesh.servers.inventory.url], sdl: INVENTORY_SDL, descriptor: { owner: OWNER } };

    expect(await registryCall(gateway, 'POST', '/subgraphs', { body: publication })).toEqual({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'The schema registry needs a bearer token.' } },
    });
    expect(await registryCall(gateway, 'POST', '/subgraphs', { body: publication, token: await tokenWith('orders:read') })).toMatchObject({
      status: 403,
      body: { error: { code: 'FORBIDDEN', message: 'Publishing "inventory" needs the scope mesh:publish or mesh:publish:inventory.' } },
    });
    expect(
      await registryCall(gateway, 'POST', '/subgraphs', { body: { ...publication, name: 'products' }, token: await tokenWith('mesh:publish:inventory') }),
    ).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await registryCall(gateway, 'GET', '/subgraphs')).toMatchObject({ status: 401 });
    expect(await registryCall(gateway, 'GET', '/subgraphs', { token: await tokenWith('orders:read') })).toMatchObject({ status: 403 });
    expect(await registryCall(gateway, 'POST', '/subgraphs', { body: { name: 'inventory' }, token: await tokenWith('mesh:publish') })).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', problems: expect.arrayContaining([expect.stringMatching(/^urls: /), expect.stringMatching(/^sdl: /)]) } },
    });
    expect(await query(gateway, '{ product(id: "p1") { stock } }')).toMatchObject({ errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
  });

  it('should hot-reload a published subgraph while a live subscription keeps delivering', async () => {
    client = createClient({ url: gateway.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const events = client.iterate({ query: 'subscription { priceChanged(id: "p1") { price product { name } } }' });
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');
    mesh.feed.publish({ productId: 'p1', price: 10 });
    expect(await nextValue(events, 'the first price')).toEqual({ data: { priceChanged: { price: 10, product: { name: 'Kettle' } } } });

    const published = await registryCall(gateway, 'POST', '/subgraphs', {
      token: await tokenWith('mesh:publish:inventory'),
      body: { name: 'inventory', urls: [mesh.servers.inventory.url], sdl: INVENTORY_SDL, descriptor: { owner: OWNER } },
    });

    expect(published).toMatchObject({ status: 201, body: { subgraph: { name: 'inventory', version: 1 }, inService: true } });
    expect(await query(gateway, '{ product(id: "p1") { name stock } }')).toEqual({ data: { product: { name: 'Kettle', stock: 20 } } });
    mesh.feed.publish({ productId: 'p1', price: 11 });
    expect(await nextValue(events, 'a price after the reload')).toEqual({ data: { priceChanged: { price: 11, product: { name: 'Kettle' } } } });
    expect(JSON.parse(readFileSync(file(), 'utf8')).versions).toMatchObject([{ name: 'inventory', version: 1, publishedBy: 'registry-test' }]);
  });

  it('should refuse a breaking change, naming the field, and keep the supergraph', async () => {
    const before = gateway.supergraphSdl();

    const refused = await publish(gateway, { name: 'products', urls: [mesh.servers.products.url], sdl: PRODUCTS_SDL.replace(/\n\s*name: String/, '') });

    expect(refused).toEqual({
      status: 422,
      body: { error: { code: 'SCHEMA_REJECTED', message: '"products" was refused: 1 problem(s)', problems: ['FIELD_REMOVED: Product.name was removed.'] } },
    });
    expect(gateway.supergraphSdl()).toBe(before);
  });

  it('should refuse a descriptor without an owner and SDL that does not compose, listing every problem', async () => {
    const refused = await publish(gateway, {
      name: 'reviews',
      urls: ['http://127.0.0.1:1/graphql'],
      sdl: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
        type Product @key(fields: "id") { id: ID! name: Int }`,
      descriptor: { owner: { team: ' ' } },
    });

    expect(refused.status).toBe(422);
    const problems: string[] = refused.body.error.problems;
    expect(problems.slice(0, 2)).toEqual([
      'DESCRIPTOR_OWNER_MISSING: descriptor.owner.team is required (the team that answers for the data product)',
      'DESCRIPTOR_OWNER_MISSING: descriptor.owner.contact is required (how consumers reach the owner)',
    ]);
    expect(problems.slice(2)).toContainEqual(expect.stringMatching(/^INVALID_FIELD_SHARING: .*"Product\.name".*"reviews"/));
  });

  it('should roll a subgraph back to its previous version and restore the previous supergraph', async () => {
    const v1 = gateway.supergraphSdl();
    const v2 = await publish(gateway, {
      name: 'inventory',
      urls: [mesh.servers.inventory.url],
      sdl: INVENTORY_SDL.replace('stock: Int', 'stock: Int\n  warehouse: String'),
    });
    expect(v2).toMatchObject({ status: 201, body: { subgraph: { version: 2 } } });
    expect(gateway.supergraphSdl()).toContain('warehouse: String');

    const rolledBack = await registryCall(gateway, 'POST', '/subgraphs/inventory/rollback', { token: await tokenWith('mesh:publish:inventory'), body: {} });

    expect(rolledBack).toMatchObject({
      status: 200,
      body: { subgraph: { name: 'inventory', version: 3, restores: 1 }, inService: true, breaking: ['FIELD_REMOVED: Product.warehouse was removed.'] },
    });
    expect(gateway.supergraphSdl()).toBe(v1);
    const history = await registryCall(gateway, 'GET', '/subgraphs/inventory/versions', { token: await tokenWith('mesh:publish:inventory') });
    expect(history.body.versions.map((v: { version: number; restores?: number }) => [v.version, v.restores])).toEqual([
      [1, undefined],
      [2, undefined],
      [3, 1],
    ]);
    expect(
      await registryCall(gateway, 'POST', '/subgraphs/inventory/rollback', { token: await tokenWith('mesh:publish'), body: { version: 9 } }),
    ).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND' } },
    });
    expect(await registryCall(gateway, 'POST', '/subgraphs/nothing/rollback', { token: await tokenWith('mesh:publish'), body: {} })).toMatchObject({
      status: 404,
    });
  });

  it('should serve the published subgraphs again after a restart', async () => {
    await client?.dispose();
    client = undefined;
    await gateway.close();

    gateway = await startRegistryGateway(mesh, { kind: 'file', path: file() });

    expect(await query(gateway, '{ product(id: "p2") { name stock } }')).toEqual({ data: { product: { name: 'Toaster', stock: 20 } } });
    const listed = await registryCall(gateway, 'GET', '/subgraphs', { token: await tokenWith('mesh:publish') });
    expect(listed.body.subgraphs).toMatchObject([{ name: 'inventory', version: 3, restores: 1 }]);
  });
});
