/**
 * Several gateways share one schema registry in PostgreSQL (own schema with a random suffix, dropped
 * after): a publication to one gateway reaches the others through LISTEN/NOTIFY, and two publications of
 * the same subgraph racing from two processes cannot both take the same version.
 */
import type { RunningGateway } from '../../../gateway/index.js';
import { createPostgresRegistryStore } from '../../../gateway/registry/createPostgresRegistryStore.js';
import { deferred, waitFor, withTimeout } from '../../support/asyncWait.js';
import { VersionConflictError } from '../../../gateway/registry/RegistryStore.js';
import { describeIfPostgres, dropSchemas, POSTGRES_TEST_URL, uniqueSchema } from '../../support/postgresAvailable.js';
import { startProductMesh, type ProductMesh } from '../../support/productMeshSubgraphs.js';
import { INVENTORY_SDL, OWNER, publish, query, registryCall, startRegistryGateway, tokenWith } from './registryHarness.js';

describeIfPostgres('schema registry in PostgreSQL', () => {
  const schema = uniqueSchema();
  let mesh: ProductMesh;
  let first: RunningGateway;
  let second: RunningGateway;

  beforeAll(async () => {
    mesh = await startProductMesh();
    first = await startRegistryGateway(mesh, { kind: 'postgres', url: POSTGRES_TEST_URL, schema });
    second = await startRegistryGateway(mesh, { kind: 'postgres', url: POSTGRES_TEST_URL, schema });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await mesh.close();
    await dropSchemas(schema);
  });

  it('should bring a publication to one gateway into the other one', async () => {
    const reloaded = deferred();
    const watcher = await createPostgresRegistryStore({ url: POSTGRES_TEST_URL, schema });
    const stop = await watcher.watch(() => reloaded.resolve());
    try {
      const published = await publish(first, { name: 'inventory', urls: [mesh.servers.inventory.url], sdl: INVENTORY_SDL });
      expect(published).toMatchObject({ status: 201, body: { subgraph: { name: 'inventory', version: 1 }, inService: true } });
      await withTimeout(reloaded.promise, 'the NOTIFY of the publication');
    } finally {
      await stop();
      await watcher.close();
    }

    // The second gateway reloads on the same notification (its sync interval is a minute: not that).
    await waitFor(() => second.supergraphSdl()?.includes('stock: Int') === true, 'the second gateway to take the publication');
    expect(await query(second, '{ product(id: "p3") { stock } }')).toEqual({ data: { product: { stock: 20 } } });
  });

  it('should let only one of two racing publications of a subgraph take the next version', async () => {
    const stores = await Promise.all([
      createPostgresRegistryStore({ url: POSTGRES_TEST_URL, schema }),
      createPostgresRegistryStore({ url: POSTGRES_TEST_URL, schema }),
    ]);
    try {
      const entry = { name: 'inventory', urls: [mesh.servers.inventory.url], sdl: INVENTORY_SDL, descriptor: { owner: OWNER }, publishedBy: 'race' };

      const results = await Promise.allSettled(stores.map((store) => store.append(entry, 1)));

      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(results.find((r) => r.status === 'fulfilled')).toMatchObject({ value: { name: 'inventory', version: 2 } });
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
      expect((await stores[0].versions()).map((v) => v.version)).toEqual([1, 2]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('should take a retirement at one gateway out of the other one too, and keep it in the stored history', async () => {
    const retired = await registryCall(first, 'DELETE', '/subgraphs/inventory', { token: await tokenWith('mesh:publish:inventory') });
    expect(retired).toMatchObject({ status: 200, body: { subgraph: { name: 'inventory', version: 3, retired: true }, inService: true } });

    await waitFor(() => second.supergraphSdl()?.includes('stock: Int') === false, 'the second gateway to take the retirement');
    const store = await createPostgresRegistryStore({ url: POSTGRES_TEST_URL, schema });
    try {
      expect((await store.versions()).map((v) => [v.version, v.retired ?? false])).toEqual([
        [1, false],
        [2, false],
        [3, true],
      ]);
    } finally {
      await store.close();
    }
  });
});
