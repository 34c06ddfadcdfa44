/**
 * A gateway with the schema registry over the tiny product mesh (`products` and `prices` configured,
 * `inventory` running but not configured: the registry publishes it), auth on with the dev key set.
 */
import { print } from 'graphql';
import { startGateway, type RunningGateway } from '../../../gateway/index.js';
import type { RegistryStoreConfig } from '../../../gateway/registry/RegistryConfig.js';
import { signDevToken } from '../../../scripts/devToken.js';
import { testGatewayAuth } from '../../support/startAuthMesh.js';
import { testGatewayConfig } from '../../support/testGatewayConfig.js';
import { inventoryTypeDefs, productsTypeDefs, type ProductMesh } from '../../support/productMeshSubgraphs.js';

export const OWNER = { team: 'Warehouse Operations', contact: 'inventory-team@example.com' };
export const INVENTORY_SDL = print(inventoryTypeDefs);
export const PRODUCTS_SDL = print(productsTypeDefs);

/**
 * A registry-enabled gateway over `mesh`, whose published versions live in `store`; `trustedSubgraphs` as
 * `MESH_TRUSTED_SUBGRAPHS` (default: every subgraph trusted).
 */
export function startRegistryGateway(mesh: ProductMesh, store: RegistryStoreConfig, trustedSubgraphs?: readonly string[]): Promise<RunningGateway> {
  return startGateway({
    config: testGatewayConfig(
      [
        { name: 'products', url: mesh.servers.products.url },
        { name: 'prices', url: mesh.servers.prices.url },
      ],
      { auth: testGatewayAuth(trustedSubgraphs ? { trustedSubgraphs } : {}), registry: { store, syncIntervalMs: 60_000 } },
    ),
    log: () => {},
  });
}

/** A dev token with these scopes. */
export const tokenWith = (...scopes: string[]) => signDevToken({ scopes, ttlSeconds: 300, sub: 'registry-test' });

/** An HTTP call to the gateway's registry; the answer's status and JSON body. */
export async function registryCall(gateway: RunningGateway, method: 'GET' | 'POST' | 'DELETE', path: string, options: { token?: string; body?: unknown } = {}) {
  const base = gateway.url.replace(/\/graphql$/, '/registry');
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(options.token && { authorization: `Bearer ${options.token}` }) },
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

/** Publishes a subgraph with a token holding `mesh:publish`. */
export async function publish(gateway: RunningGateway, publication: { name: string; urls: string[]; sdl: string; descriptor?: Record<string, unknown> }) {
  return registryCall(gateway, 'POST', '/subgraphs', { token: await tokenWith('mesh:publish'), body: { descriptor: { owner: OWNER }, ...publication } });
}

/** A GraphQL query to the gateway (anonymous: the mesh's fields carry no auth directives). */
export async function query(gateway: RunningGateway, document: string) {
  const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: document }) });
  return (await response.json()) as any;
}
