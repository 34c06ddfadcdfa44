/**
 * A subgraph published with several URLs runs as replicas: the gateway composes the first and fails over
 * to the others when it cannot be reached, as it does for replicas configured with `MESH_SUBGRAPHS`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningGateway } from '../../../gateway/index.js';
import { startProductMesh, type ProductMesh } from '../../support/productMeshSubgraphs.js';
import { INVENTORY_SDL, publish, query, startRegistryGateway } from './registryHarness.js';

/** Nothing listens on port 1: a refused connection, the case failover is for. */
const UNREACHABLE = 'http://127.0.0.1:1/graphql';

describe('schema registry: a subgraph published with several URLs', () => {
  let mesh: ProductMesh;
  let dir: string;
  let gateway: RunningGateway;

  beforeAll(async () => {
    mesh = await startProductMesh();
    dir = mkdtempSync(path.join(os.tmpdir(), 'registry-replicas-'));
    gateway = await startRegistryGateway(mesh, { kind: 'file', path: path.join(dir, 'registry.json') });
  });
  afterAll(async () => {
    await gateway?.close();
    await mesh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should answer from the next published URL when the first cannot be reached', async () => {
    const published = await publish(gateway, { name: 'inventory', urls: [UNREACHABLE, mesh.servers.inventory.url], sdl: INVENTORY_SDL });
    expect(published).toMatchObject({ status: 201, body: { inService: true } });

    expect(await query(gateway, '{ product(id: "p1") { name stock } }')).toEqual({ data: { product: { name: 'Kettle', stock: 20 } } });
  });

  it('should fail with the subgraph named when no published URL can be reached', async () => {
    const published = await publish(gateway, { name: 'inventory', urls: [UNREACHABLE], sdl: INVENTORY_SDL });
    expect(published).toMatchObject({ status: 201, body: { inService: true } });

    const answer = await query(gateway, '{ product(id: "p1") { name stock } }');
    expect(answer.data).toEqual({ product: { name: 'Kettle', stock: null } });
    expect(answer.errors).toEqual([expect.objectContaining({ path: ['product', 'stock'], extensions: expect.objectContaining({ serviceName: 'inventory' }) })]);
  });
});
