import { parseEventMeshBrokers, type EventMeshConfig } from './EventMeshConfig.js';

/**
 * The bridge's part of a subgraph's environment (read by `subgraphs/subgraphConfig.ts` only):
 * `MESH_EVENT_MESH` (comma-separated `mqtt://…` and/or `amqp://…`; empty: no bridge),
 * `MESH_EVENT_MESH_AUDIENCE` (`<name>:<scope> <scope>…`, the declared audience of outbound topics),
 * `MESH_EVENT_MESH_RETAIN` (`true`: retained latest value per state key), `MESH_EVENT_MESH_OUTBOUND`
 * (`false`: this replica never publishes change events) and `MESH_EVENT_MESH_LEASE_MS` (the outbound
 * leader's lease on the JetStream bus). Throws `invalid <VARIABLE>: …`.
 */
export function eventMeshConfigFromEnv(env: NodeJS.ProcessEnv): { eventMesh?: EventMeshConfig } {
  const fail = (variable: string, why: string): never => {
    throw new Error(`invalid ${variable}: ${why}`);
  };
  const flag = (variable: string, fallback: boolean): boolean => {
    const value = env[variable];
    if (value === undefined || value === '') return fallback;
    if (!['true', '1', 'false', '0'].includes(value)) fail(variable, `${JSON.stringify(value)} is not true or false`);
    return value === 'true' || value === '1';
  };
  if (!env.MESH_EVENT_MESH) return {};
  let brokers: EventMeshConfig['brokers'] = [];
  try {
    brokers = parseEventMeshBrokers(env.MESH_EVENT_MESH);
  } catch (error) {
    fail('MESH_EVENT_MESH', (error as Error).message);
  }
  let audience: EventMeshConfig['audience'];
  if (env.MESH_EVENT_MESH_AUDIENCE) {
    const match = /^([A-Za-z0-9_.-]+):(.*)$/.exec(env.MESH_EVENT_MESH_AUDIENCE);
    if (!match) fail('MESH_EVENT_MESH_AUDIENCE', 'use <name>:<scope> <scope>… e.g. finance-dashboards:finance:read');
    audience = { name: match![1], scopes: match![2].split(/[\s,]+/).filter(Boolean) };
  }
  const lease = env.MESH_EVENT_MESH_LEASE_MS;
  if (lease && !(/^\d+$/.test(lease) && Number(lease) >= 1000))
    fail('MESH_EVENT_MESH_LEASE_MS', `${JSON.stringify(lease)} is not a whole number of milliseconds ≥ 1000`);
  return {
    eventMesh: {
      brokers,
      ...(audience && { audience }),
      retainLatest: flag('MESH_EVENT_MESH_RETAIN', false),
      outbound: flag('MESH_EVENT_MESH_OUTBOUND', true),
      ...(lease && { leaderLeaseMs: Number(lease) }),
    },
  };
}
