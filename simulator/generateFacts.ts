import { Simulation, type GenerateFactsOptions, type GoLiveOptions, type LiveFacts } from './Simulation.js';
import { SIM_DOMAINS, type DomainFact, type SimDomain, type SimulatedFact } from './simulatedFact.js';

export type { GenerateFactsOptions, LiveFacts } from './Simulation.js';

/**
 * One consistent story across catalog, orders, inventory and shipping for `[from, to)`, grouped by domain,
 * each domain's facts in time order. Pure and deterministic. Holds the whole range in memory (about
 * 110k facts for 90 days at the defaults); `generateFactStream` produces the same facts lazily.
 *
 * @example
 * const { orders } = generateFacts({ from: new Date('2024-05-01T00:00:00Z'), to: new Date('2024-05-08T00:00:00Z') });
 */
export function generateFacts(options: GenerateFactsOptions): Record<SimDomain, SimulatedFact[]> {
  const byDomain = Object.fromEntries(SIM_DOMAINS.map((d) => [d, [] as SimulatedFact[]])) as Record<SimDomain, SimulatedFact[]>;
  for (const { domain, event } of generateFactStream(options)) byDomain[domain].push(event);
  return byDomain;
}

/** The facts of `generateFacts`, one at a time in time order across all domains, tagged with their domain. */
export function generateFactStream(options: GenerateFactsOptions): Generator<DomainFact, void, undefined> {
  return new Simulation(options).history();
}

/** Options of `liveFacts`: the story to replay up to `to`, then how live mode continues it. */
export interface LiveFactsOptions extends GenerateFactsOptions, GoLiveOptions {}

/**
 * The story continued live after `to`: replays the history in memory (nothing is returned from it) to
 * reach the stock levels and scheduled follow-ups at `to`, then produces one order per `nextOrder(now)`
 * and releases scheduled shipments, cancellations and receipts with `due(now)`.
 *
 * @example
 * const live = liveFacts({ from, to: seededUntil });
 * setInterval(() => post([...live.due(new Date()), ...live.nextOrder(new Date())]), 1000);
 */
export function liveFacts(options: LiveFactsOptions): LiveFacts {
  return new Simulation(options).goLive(options);
}
