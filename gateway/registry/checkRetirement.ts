import type { GraphQLSchema } from 'graphql';
import type { SubgraphSdl } from '../../core/apollo/index.js';
import { composeAgainstLive } from './checkPublication.js';

/** The verdict on retiring a subgraph: what its leaving breaks for clients, or why the rest cannot compose without it. */
export type RetirementCheck = { ok: true; breaking: string[] } | { ok: false; problems: string[] };

/**
 * Whether the supergraph composes without a subgraph (`others`: every subgraph but the one leaving), and
 * which of the fields clients use today it takes with it (graphql-js `findBreakingChanges` against `live`,
 * e.g. `FIELD_REMOVED: Query.paymentsHistory was removed.`). Removing a subgraph always removes its fields:
 * they are reported, not refused (a retirement is an explicit decision, as a rollback is). Pure: no I/O.
 */
export function checkRetirement(others: readonly SubgraphSdl[], live: GraphQLSchema | null): RetirementCheck {
  const composed = composeAgainstLive(others, live);
  return composed.ok ? { ok: true, breaking: composed.breaking } : composed;
}
