/** The four domains the simulator feeds, one subgraph each. */
export const SIM_DOMAINS = ['catalog', 'orders', 'inventory', 'shipping'] as const;
export type SimDomain = (typeof SIM_DOMAINS)[number];

/**
 * One generated fact: a CloudEvents 1.0 envelope in structured JSON mode, exactly what `POST /events`
 * accepts. See https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md
 */
export interface SimulatedFact {
  specversion: '1.0';
  /** Unique per source: `sim-<seed>-<epoch>-<domain>-<n>`. */
  id: string;
  /** `urn:mesh:simulator:<domain>`. */
  source: string;
  /** The fact type, a key of the domain's exported fact schemas (`OrderPlaced`, ...). */
  type: string;
  /** RFC 3339 UTC timestamp (`toISOString()`). */
  time: string;
  data: Record<string, unknown>;
}

/** A fact with the domain it must be posted to. */
export interface DomainFact {
  domain: SimDomain;
  event: SimulatedFact;
}

const SOURCES = Object.fromEntries(SIM_DOMAINS.map((d) => [d, `urn:mesh:simulator:${d}`])) as Record<SimDomain, string>;

/** The CloudEvents `source` of the facts the simulator produces for `domain` (one shared string each). */
export const simulatorSource = (domain: SimDomain): string => SOURCES[domain];
