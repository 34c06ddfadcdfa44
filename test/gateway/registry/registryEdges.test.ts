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
import { INVENTORY_SDL, OWNER, publish, registryCall, startRegistryGateway, tokenWith } from './registryHarness.js';

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
