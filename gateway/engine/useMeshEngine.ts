import type { ApolloGateway } from '@apollo/gateway';
import { gatewayPlanning, wrapGatewayExecutor, type GatewayLike } from '../../core/apollo/index.js';
import { createMeshExecutor } from './createMeshExecutor.js';

/** Which executor runs query plans: @apollo/gateway's own, or the mesh query engine (gateway/engine/). */
export type QueryEngine = 'apollo' | 'mesh';

/**
 * The gateway with its plans run by the mesh query engine: @apollo/gateway still loads the supergraph,
 * plans and caches plans; plans the engine does not run go to @apollo/gateway's executor.
 */
export function useMeshEngine(gateway: ApolloGateway): GatewayLike {
  const planning = gatewayPlanning(gateway);
  return wrapGatewayExecutor(gateway, (apolloExecutor) => createMeshExecutor({ planning, fallback: apolloExecutor }));
}
