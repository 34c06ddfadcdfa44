/** The registry's configuration from the environment, and the file store's change notification. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envFail } from '../../../core/config/EnvFail.js';
import { gatewayConfigFromEnv } from '../../../gateway/index.js';
import { createFileRegistryStore } from '../../../gateway/registry/createFileRegistryStore.js';
import { registryConfigFromEnv } from '../../../gateway/registry/registryConfigFromEnv.js';
import { VersionConflictError } from '../../../gateway/registry/RegistryStore.js';
import { deferred, withTimeout } from '../../support/asyncWait.js';

describe('registryConfigFromEnv', () => {
  it('should default to a file store, take PostgreSQL when named, and be off on request', () => {
    expect(registryConfigFromEnv({}, true, envFail)).toEqual({ store: { kind: 'file', path: path.resolve('data/registry.json') } });
    expect(registryConfigFromEnv({ MESH_REGISTRY_FILE: '/srv/registry.json' }, true, envFail)).toEqual({ store: { kind: 'file', path: '/srv/registry.json' } });
    expect(registryConfigFromEnv({ MESH_REGISTRY_POSTGRES_URL: 'postgres://u@db:5432/mesh', MESH_REGISTRY_SCHEMA: 'reg' }, true, envFail)).toEqual({
      store: { kind: 'postgres', url: 'postgres://u@db:5432/mesh', schema: 'reg' },
    });
    expect(registryConfigFromEnv({ MESH_REGISTRY_POSTGRES_URL: 'postgres://u@db/mesh' }, true, envFail)).toMatchObject({ store: { schema: 'mesh_registry' } });
    expect(registryConfigFromEnv({ MESH_REGISTRY: 'off', MESH_REGISTRY_FILE: 'x.json' }, true, envFail)).toBeUndefined();
    expect(registryConfigFromEnv({}, false, envFail)).toBeUndefined();
  });

  it('should name the variable of a bad value', () => {
    expect(() => registryConfigFromEnv({ MESH_REGISTRY: 'maybe' }, true, envFail)).toThrow('invalid MESH_REGISTRY="maybe": on or off');
    expect(() => registryConfigFromEnv({ MESH_REGISTRY_POSTGRES_URL: 'mysql://x' }, true, envFail)).toThrow('invalid MESH_REGISTRY_POSTGRES_URL="mysql://x"');
    expect(() => registryConfigFromEnv({ MESH_REGISTRY_POSTGRES_URL: 'postgres://x/db', MESH_REGISTRY_SCHEMA: 'Bad-Name' }, true, envFail)).toThrow(
      'invalid MESH_REGISTRY_SCHEMA="Bad-Name"',
    );
    expect(() => gatewayConfigFromEnv({ MESH_SUPERGRAPH_FILE: 'schema/supergraph.graphql', MESH_REGISTRY_FILE: 'r.json' })).toThrow(
      'invalid MESH_REGISTRY_FILE="r.json": the schema registry needs MESH_SUBGRAPHS (it cannot change a supergraph file)',
    );
    expect(gatewayConfigFromEnv({}).registry).toEqual({ store: { kind: 'file', path: path.resolve('data/registry.json') } });
  });
});

describe('createFileRegistryStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'registry-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const entry = { name: 'returns', urls: ['http://127.0.0.1:4005/graphql'], sdl: 'type Query { a: Int }', descriptor: {}, publishedBy: 'test' };

  it('should number versions per subgraph, refuse a stale expected version, and tell another store of changes', async () => {
    const file = path.join(dir, 'nested', 'registry.json');
    const writer = createFileRegistryStore({ path: file });
    const reader = createFileRegistryStore({ path: file, watchIntervalMs: 20 });
    const changed = deferred();
    const stop = await reader.watch(() => changed.resolve());

    expect(await reader.versions()).toEqual([]);
    expect(await writer.append(entry, 0)).toMatchObject({ name: 'returns', version: 1 });
    await withTimeout(changed.promise, 'the change notification');
    expect(await writer.append({ ...entry, restores: 1 }, 1)).toMatchObject({ version: 2, restores: 1 });
    await expect(writer.append(entry, 1)).rejects.toBeInstanceOf(VersionConflictError);
    expect((await reader.versions()).map((v) => v.version)).toEqual([1, 2]);

    await stop();
    await Promise.all([reader.close(), writer.close()]);
  });

  it('should refuse a file that is not a registry', async () => {
    const file = path.join(dir, 'registry.json');
    writeFileSync(file, '{"something": "else"}');

    await expect(createFileRegistryStore({ path: file }).versions()).rejects.toThrow(`${file} is not a schema registry file (no "versions" list)`);
  });
});
