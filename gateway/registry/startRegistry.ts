import type { GraphQLSchema } from 'graphql';
import type { Router } from 'express';
import type { SubgraphSdl } from '../../core/apollo/index.js';
import type { GatewayAuth } from '../auth/createGatewayAuth.js';
import type { GatewayConfig } from '../config/gatewayConfig.js';
import type { GatewaySupergraphManager } from '../supergraph/createSupergraphManager.js';
import { createSchemaRegistry, type SchemaRegistry } from './createSchemaRegistry.js';
import { openRegistryStore } from './openRegistryStore.js';
import { registryRoutes } from './registryRoutes.js';

/** What the gateway hands the registry. */
export interface StartRegistryOptions {
  config: GatewayConfig;
  /** The gateway's auth; without it there is no registry (publishing must be authenticated). */
  auth: GatewayAuth | null;
  manager: GatewaySupergraphManager;
  /** The client-facing schema in service. */
  apiSchema: () => GraphQLSchema | null;
  localSubgraphs: readonly SubgraphSdl[];
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * The gateway's schema registry, when configured and possible (auth on, composing from running
 * subgraphs): its store opened, its versions read, its HTTP routes. Null otherwise.
 */
export async function startRegistry(options: StartRegistryOptions): Promise<{ registry: SchemaRegistry; routes: Router } | null> {
  const { config, auth, manager, apiSchema, localSubgraphs, log } = options;
  if (!config.registry || config.supergraph.kind !== 'subgraphs') return null;
  if (!auth) {
    log('warn', 'the schema registry is off: it needs authentication (config.auth) to know who publishes');
    return null;
  }
  const registry = createSchemaRegistry({
    store: await openRegistryStore(config.registry.store),
    supergraph: { fetchedSubgraphs: () => manager.fetchedSubgraphs(), liveApiSchema: apiSchema, refresh: () => manager.refresh() },
    localSubgraphs,
    syncIntervalMs: config.registry.syncIntervalMs,
    log,
  });
  try {
    await registry.start();
  } catch (error) {
    await registry.close();
    throw error;
  }
  return {
    registry,
    routes: registryRoutes({
      registry,
      principal: (authorization) => auth.principalFromHttp(authorization),
      log,
      isTrusted: (subgraph) => auth.isTrusted(subgraph),
    }),
  };
}
