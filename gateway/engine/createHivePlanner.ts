import { Kind, parse } from 'graphql';
import { QueryPlanner } from '@graphql-hive/router-query-planner';
import type { EnginePlan } from '../../core/queryPlan/EnginePlan.js';
import { fromHivePlan } from './fromHivePlan.js';

/** Options of `createHivePlanner`. */
export interface HivePlannerOptions {
  /** Plans kept (by operation name and text), per supergraph; a full cache starts over. @default 1000 */
  maxPlans?: number;
  /** Where a supergraph Hive Router's planner refuses is reported (its operations are then planned by @apollo/gateway). @default none */
  log?: (message: string) => void;
}

/** Plans operations with Hive Router's planner for the supergraph in service. */
export interface HivePlanner {
  /** Takes a new supergraph into service (the SDL @apollo/gateway loaded); its plans replace the old ones. */
  update(supergraphSdl: string): void;
  /** The plan of an operation; null when Hive Router's planner cannot plan it (plan it with @apollo/gateway then). */
  plan(query: string, operationName: string | null | undefined): EnginePlan | null;
}

const NO_PLAN = Symbol('no plan');

/**
 * Hive Router's Rust query planner (`@graphql-hive/router-query-planner`, a native addon) for the mesh
 * query engine (`MESH_QUERY_PLANNER=hive`): plans converted by fromHivePlan.ts and cached per supergraph.
 * Operations it refuses (introspection, features it lacks) or plans the engine does not run answer null,
 * and the gateway plans those with @apollo/gateway, so a client never sees the planner's gaps.
 */
export function createHivePlanner(options: HivePlannerOptions = {}): HivePlanner {
  const { maxPlans = 1000, log } = options;
  let planner: QueryPlanner | null = null;
  let sdl: string | null = null;
  // Operations repeat (clients send a handful of documents): when full, the cache starts over.
  const plans = new Map<string, EnginePlan | typeof NO_PLAN>();
  return {
    update(supergraphSdl) {
      if (supergraphSdl === sdl) return;
      sdl = supergraphSdl;
      plans.clear();
      try {
        planner = new QueryPlanner(supergraphSdl);
      } catch (error) {
        planner = null;
        log?.(`Hive Router's planner cannot load the supergraph (@apollo/gateway plans instead): ${(error as Error).message.split('\n')[0]}`);
      }
    },
    plan(query, operationName) {
      if (!planner) return null;
      const key = `${operationName ?? ''}\u0000${query}`;
      let plan = plans.get(key);
      if (plan === undefined) {
        try {
          const converted = fromHivePlan(planner.plan(query, operationName ?? null, new Set(), 0), clientOperationName(query, operationName));
          plan = converted.unsupported ? NO_PLAN : converted;
        } catch {
          plan = NO_PLAN;
        }
        if (plans.size >= maxPlans) plans.clear();
        plans.set(key, plan);
      }
      return plan === NO_PLAN ? null : plan;
    },
  };
}

/** The name of the operation a request runs (`operationName`, else the document's only operation's), if it has one. */
function clientOperationName(query: string, operationName: string | null | undefined): string | undefined {
  if (operationName) return operationName;
  const operations = parse(query, { noLocation: true }).definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return operations.length === 1 ? operations[0].name?.value : undefined;
}
