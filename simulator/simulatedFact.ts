import type { OutgoingCloudEvent } from '../core/events/CloudEvent.js';

/** The four domains the simulator feeds, one subgraph each. */
export const SIM_DOMAINS = ['catalog', 'orders', 'inventory', 'shipping'] as const;
export type SimDomain = (typeof SIM_DOMAINS)[number];

/**
 * One generated fact, exactly what `POST /events` accepts: `id` is `sim-<seed>-<YYYYMMDDHH>-<domain>-<n>` in
 * the history (the UTC hour of the fact, then its rank in that hour) and `sim-<seed>-<epoch>-<domain>-<n>` live,
 * `source` is `urn:mesh:simulator:<domain>`, `time` a UTC `toISOString()`.
 */
export type SimulatedFact = OutgoingCloudEvent;

/** A fact with the domain it must be posted to. */
export interface DomainFact {
  domain: SimDomain;
  event: SimulatedFact;
}

const SOURCES = Object.fromEntries(SIM_DOMAINS.map((d) => [d, `urn:mesh:simulator:${d}`])) as Record<SimDomain, string>;

/** The CloudEvents `source` of the facts the simulator produces for `domain` (one shared string each). */
export const simulatorSource = (domain: SimDomain): string => SOURCES[domain];
