import path from 'node:path';
import type { EnvFail } from '../../core/config/EnvFail.js';
import type { RegistryConfig } from './RegistryConfig.js';

/** Where the registry file is by default (relative to the working directory, like the subgraphs' data). */
export const DEFAULT_REGISTRY_FILE = 'data/registry.json';

/**
 * The schema registry's settings from the environment (called by `gatewayConfigFromEnv`):
 * `MESH_REGISTRY` (`on` default | `off`), `MESH_REGISTRY_POSTGRES_URL` (share it between gateways) with
 * `MESH_REGISTRY_SCHEMA` (default `mesh_registry`), else `MESH_REGISTRY_FILE` (default
 * `data/registry.json`). The registry composes published subgraphs with running ones, so a gateway
 * started from a supergraph file has none (naming a registry variable then is an error).
 */
export function registryConfigFromEnv(env: NodeJS.ProcessEnv, composesFromSubgraphs: boolean, fail: EnvFail): RegistryConfig | undefined {
  const mode = env.MESH_REGISTRY?.trim() || 'on';
  if (mode !== 'on' && mode !== 'off') return fail('MESH_REGISTRY', env.MESH_REGISTRY, 'on or off');
  if (mode === 'off') return undefined;
  const explicit = ['MESH_REGISTRY_POSTGRES_URL', 'MESH_REGISTRY_FILE'].find((variable) => env[variable]?.trim());
  if (!composesFromSubgraphs) {
    if (explicit) fail(explicit, env[explicit], 'the schema registry needs MESH_SUBGRAPHS (it cannot change a supergraph file)');
    return undefined;
  }
  const url = env.MESH_REGISTRY_POSTGRES_URL?.trim();
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) fail('MESH_REGISTRY_POSTGRES_URL', url, 'postgres://user@host:port/db');
    const schema = env.MESH_REGISTRY_SCHEMA?.trim() || 'mesh_registry';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) fail('MESH_REGISTRY_SCHEMA', schema, 'a lowercase PostgreSQL identifier');
    return { store: { kind: 'postgres', url, schema } };
  }
  return { store: { kind: 'file', path: path.resolve(env.MESH_REGISTRY_FILE?.trim() || DEFAULT_REGISTRY_FILE) } };
}
