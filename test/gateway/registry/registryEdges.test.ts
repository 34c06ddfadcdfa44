/**
 * The registry's edges: the gateway's own subgraph name is not publishable, a publication stored while a
 * configured subgraph is down is reported as not in service (202), and no auth means no registry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startGateway, type RunningGateway } from '../../../gateway/index.js';
import { print } from 'graphql';
import { pricesTypeDefs, startProductMesh, type ProductMesh } from '../../support/productMeshSubgraphs.js';
import { testGatewayConfig } from '../../support/testGatewayConfig.js';
import { INVENTORY_SDL, OWNER, publish, query, registryCall, startRegistryGateway, tokenWith } from './registryHarness.js';

describe('schema registry edges', () => {
  let mesh: ProductMesh;
  let dir: string;
  let gateway: RunningGateway | undefined;
  beforeEach(async () => {
    mesh = await startProductMesh();
    dir = mkdtempSync(path.join(os.tmpdir(), 'registry-edges-'));
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await mesh.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should refuse the name of the gateway's own catalog subgraph", async () => {
    gateway = await startRegistryGateway(mesh, { kind: 'file', path: path.join(dir, 'registry.json') });

    expect(await publish(gateway, { name: 'mesh', urls: ['http://127.0.0.1:1/graphql'], sdl: INVENTORY_SDL })).toEqual({
      status: 422,
      body: {
        error: { code: 'SCHEMA_REJECTED', message: '"mesh" was refused: 1 problem(s)', problems: ['RESERVED_NAME: "mesh" is served by the gateway itself'] },
      },
    });
  });

  it('should warn a publication of a subgraph the gateway sends no identity to (not in MESH_TRUSTED_SUBGRAPHS)', async () => {
    gateway = await startRegistryGateway(mesh, { kind: 'file', path: path.join(dir, 'registry.json') }, ['products', 'prices']);

    const { status, body } = await publish(gateway, { name: 'inventory', urls: [mesh.servers.inventory.url], sdl: INVENTORY_SDL });

    expect(status).toBe(201);
    expect(body.warnings).toEqual([expect.stringMatching(/^the gateway sends no caller identity to "inventory": it is not in MESH_TRUSTED_SUBGRAPHS/)]);
    // A trusted one is not warned.
    const trusted = await publish(gateway, { name: 'prices', urls: [mesh.servers.prices.url], sdl: print(pricesTypeDefs) });
    expect(trusted.body.warnings).toBeUndefined();
  });

  it('should retire a published subgraph: out of the supergraph, its fields reported, back with a rollback', async () => {
    gateway = await startRegistryGateway(mesh, { kind: 'file', path: path.join(dir, 'registry.json') });
    const token = await tokenWith('mesh:publish:inventory');
    expect(await publish(gateway, { name: 'inventory', urls: [mesh.servers.inventory.url], sdl: INVENTORY_SDL })).toMatchObject({ status: 201 });
    expect((await query(gateway, '{ product(id: "p1") { name stock } }')).data.product).toEqual({ name: 'Kettle', stock: expect.any(Number) });

    expect(await registryCall(gateway, 'DELETE', '/subgraphs/inventory', { token: await tokenWith('mesh:publish:products') })).toMatchObject({ status: 403 });
    const retired = await registryCall(gateway, 'DELETE', '/subgraphs/inventory', { token });

    expect(retired).toEqual({
      status: 200,
      body: {
        subgraph: { name: 'inventory', version: 2, publishedAt: expect.any(String), retired: true },
        inService: true,
        breaking: ['FIELD_REMOVED: Product.stock was removed.'],
      },
    });
    expect((await query(gateway, '{ product(id: "p1") { name stock } }')).errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/Cannot query field "stock" on type "Product"/) }),
    ]);
    expect((await registryCall(gateway, 'GET', '/subgraphs', { token })).body.subgraphs).toEqual([]);
    const history = await registryCall(gateway, 'GET', '/subgraphs/inventory/versions', { token });
    expect(history.body.versions.map((v: { version: number; retired?: boolean }) => [v.version, v.retired ?? false])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(await registryCall(gateway, 'DELETE', '/subgraphs/inventory', { token })).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: '"inventory" is retired already (version 2)' } },
    });

    const back = await registryCall(gateway, 'POST', '/subgraphs/inventory/rollback', { token, body: {} });
    expect(back).toMatchObject({ status: 200, body: { subgraph: { name: 'inventory', version: 3, restores: 1 }, inService: true } });
    expect((await query(gateway, '{ product(id: "p1") { name stock } }')).data.product).toEqual({ name: 'Kettle', stock: expect.any(Number) });
  });

  it('should not retire a subgraph configured with MESH_SUBGRAPHS, nor one the others cannot compose without', async () => {
    gateway = await startRegistryGateway(mesh, { kind: 'file', path: path.join(dir, 'registry.json') });
    const token = await tokenWith('mesh:publish');
    expect(await registryCall(gateway, 'DELETE', '/subgraphs/products', { token })).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: expect.stringMatching(/MESH_SUBGRAPHS/) } },
    });
    // Published over a configured one: retiring the publication would bring the configured one back.
    expect(await publish(gateway, { name: 'prices', urls: [mesh.servers.prices.url], sdl: print(pricesTypeDefs) })).toMatchObject({ status: 201 });
    expect(await registryCall(gateway, 'DELETE', '/subgraphs/prices', { token })).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^"prices" is also configured \(MESH_SUBGRAPHS\)/) } },
    });

    // Labels require a warehouse's city, which only `warehouses` resolves: it cannot leave while they stay.
    const warehouses =
      'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\ntype Warehouse @key(fields: "id") { id: ID! city: String }';
    const labels =
      'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])\n' +
      'type Warehouse @key(fields: "id") { id: ID! city: String @external label: String @requires(fields: "city") }';
    expect(await publish(gateway, { name: 'warehouses', urls: [mesh.servers.inventory.url], sdl: warehouses })).toMatchObject({ status: 201 });
    expect(await publish(gateway, { name: 'labels', urls: [mesh.servers.inventory.url], sdl: labels })).toMatchObject({ status: 201 });
    const refused = await registryCall(gateway, 'DELETE', '/subgraphs/warehouses', { token });
    expect(refused).toMatchObject({
      status: 422,
      body: { error: { code: 'SCHEMA_REJECTED', message: 'the retirement of "warehouses" was refused: 1 problem(s)' } },
    });
  });

  it('should let only a token for every subgraph take fields from another with @override', async () => {
    gateway = await startRegistryGateway(mesh, { kind: 'file', path: path.join(dir, 'registry.json') });
    const sdl = INVENTORY_SDL.replace('["@key"]', '["@key", "@override"]').replace('stock: Int', 'stock: Int\n  name: String @override(from: "products")');
    const body = { name: 'inventory', urls: [mesh.servers.inventory.url], sdl, descriptor: { owner: OWNER } };

    const scoped = await registryCall(gateway, 'POST', '/subgraphs', { token: await tokenWith('mesh:publish:inventory'), body });
    expect(scoped).toEqual({
      status: 403,
      body: {
        error: {
          code: 'FORBIDDEN',
          message: '"inventory" takes fields from other subgraphs with @override (Product.name <- products): that needs the scope mesh:publish.',
        },
      },
    });

    expect(await registryCall(gateway, 'POST', '/subgraphs', { token: await tokenWith('mesh:publish'), body })).toMatchObject({ status: 201 });
  });

  it('should store a good publication but answer 202 when the supergraph cannot be reloaded now', async () => {
    gateway = await startRegistryGateway(mesh, { kind: 'file', path: path.join(dir, 'registry.json') });
    await mesh.servers.prices.close();

    const published = await publish(gateway, { name: 'inventory', urls: [mesh.servers.inventory.url], sdl: INVENTORY_SDL });

    expect(published).toMatchObject({
      status: 202,
      body: { subgraph: { name: 'inventory', version: 1 }, inService: false, reloadError: expect.stringContaining('prices') },
    });
    expect(gateway.supergraphSdl()).not.toContain('stock');
  });

  it('should offer no registry without auth, saying so in the log', async () => {
    const logs: string[] = [];
    gateway = await startGateway({
      config: testGatewayConfig([{ name: 'products', url: mesh.servers.products.url }], {
        introspection: false,
        registry: { store: { kind: 'file', path: path.join(dir, 'registry.json') } },
      }),
      log: (level, message) => void logs.push(`${level}: ${message}`),
    });

    expect(await registryCall(gateway, 'GET', '/subgraphs')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(logs).toContain('warn: the schema registry is off: it needs authentication (config.auth) to know who publishes');
  });
});
