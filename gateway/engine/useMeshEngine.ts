import type { ApolloGateway } from '@apollo/gateway';
import { gatewayPlanning, onGatewaySupergraph, wrapGatewayExecutor, type GatewayLike } from '../../core/apollo/index.js';
import { createHivePlanner } from './createHivePlanner.js';
import { createMeshExecutor } from './createMeshExecutor.js';

/** Which executor runs query plans: @apollo/gateway's own, or the mesh query engine (gateway/engine/). */
export type QueryEngine = 'apollo' | 'mesh';

/** Which planner plans for the mesh query engine: @apollo/gateway's (with its plan cache), or Hive Router's. */
export type QueryPlannerName = 'apollo' | 'hive';

/**
 * The planner when none is configured: Hive Router's, which passes the conformance corpus as
 * @apollo/gateway's does and plans fewer subgraph fetches (README "Query engine").
 */
export const DEFAULT_QUERY_PLANNER: QueryPlannerName = 'hive';

/** Options of `useMeshEngine`. */
export interface MeshEngineOptions {
  /**
   * `hive`: Hive Router's planner plans first; what it cannot plan is planned by @apollo/gateway.
   * `apollo`: @apollo/gateway plans everything (with its plan cache).
   * @default DEFAULT_QUERY_PLANNER
   */
  planner?: QueryPlannerName;
  /** Where planner problems are reported. @default none */
  log?: (message: string) => void;
}

/**
 * The gateway with its plans run by the mesh query engine: @apollo/gateway still loads the supergraph,
 * plans and caches plans; plans the engine does not run go to @apollo/gateway's executor.
 */
export function useMeshEngine(gateway: ApolloGateway, options: MeshEngineOptions = {}): GatewayLike {
  const { planner = DEFAULT_QUERY_PLANNER, log } = options;
  const planning = gatewayPlanning(gateway);
  const hive = planner === 'hive' ? createHivePlanner({ log }) : null;
  if (hive) onGatewaySupergraph(gateway, (sdl) => hive.update(sdl));
  return wrapGatewayExecutor(gateway, (apolloExecutor) =>
    createMeshExecutor({ planning, fallback: apolloExecutor, ...(hive && { planFirst: (query, name) => hive.plan(query, name) }) }),
  );
}
