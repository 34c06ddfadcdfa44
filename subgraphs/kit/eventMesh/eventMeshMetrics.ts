import { Counter, Gauge, type Registry } from 'prom-client';

/** What the event mesh bridge reports, for `/metrics` (the product's registry). */
export interface EventMeshMetrics {
  /** A change event the broker confirmed: its broker kind and the seconds from its publication on the bus. */
  relayed(broker: string, lagSeconds: number): void;
  /** An outbound relay pass failed (a broker outage, a refused publish); it resumes from its checkpoint. */
  relayFailed(broker: string): void;
  /** Whether this replica publishes the product's change events now (the leader). */
  leading(leading: boolean): void;
}

/**
 * The bridge's Prometheus series in the product's registry: `mesh_event_mesh_relayed_total` and
 * `mesh_event_mesh_relay_lag_seconds` (the last confirmed event's age at its confirmation) per broker kind,
 * `mesh_event_mesh_relay_failures_total`, and `mesh_event_mesh_leader` (1 on the replica that publishes).
 * Without them an operator could not tell the outbound bridge stalled, fell behind, or had no leader.
 */
export function eventMeshMetrics(registry: Registry, product: string): EventMeshMetrics {
  const registers = [registry];
  const relayed = new Counter({
    name: 'mesh_event_mesh_relayed_total',
    help: 'Change events the event-mesh broker confirmed, by broker kind',
    labelNames: ['product', 'broker'] as const,
    registers,
  });
  const lag = new Gauge({
    name: 'mesh_event_mesh_relay_lag_seconds',
    help: "Seconds from the last confirmed change event's publication on the bus to its broker confirmation, by broker kind",
    labelNames: ['product', 'broker'] as const,
    registers,
  });
  const failures = new Counter({
    name: 'mesh_event_mesh_relay_failures_total',
    help: 'Outbound relay passes that failed (each resumes from its checkpoint), by broker kind',
    labelNames: ['product', 'broker'] as const,
    registers,
  });
  const leader = new Gauge({
    name: 'mesh_event_mesh_leader',
    help: "1 on the replica that publishes the product's change events to the event mesh, 0 on the others",
    labelNames: ['product'] as const,
    registers,
  });
  leader.set({ product }, 0);
  return {
    relayed: (broker, lagSeconds) => {
      relayed.inc({ product, broker });
      lag.set({ product, broker }, Math.max(0, lagSeconds));
    },
    relayFailed: (broker) => failures.inc({ product, broker }),
    leading: (leading) => leader.set({ product }, leading ? 1 : 0),
  };
}
