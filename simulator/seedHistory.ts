import { fetchFactCount, postBatch, type RetryPolicy, type SubgraphTarget } from './postBatch.js';
import type { Simulation } from './Simulation.js';
import { SIM_DOMAINS, type SimDomain, type SimulatedFact } from './simulatedFact.js';

/** What seeding did for one domain. */
export interface DomainSeedReport {
  /** True when the subgraph already held facts, so its history was not posted again. */
  skipped: boolean;
  /** Facts the subgraph held before seeding (its descriptor's `factCount`). */
  existingFacts: number;
  /** Facts posted, and in how many batches. */
  posted: number;
  batches: number;
  /** As reported by the subgraph. */
  applied: number;
  duplicates: number;
  rejected: number;
}

/** What seeding did. */
export interface SeedReport {
  /** The history covered, `[from, to)`, ISO timestamps. */
  from: string;
  to: string;
  durationMs: number;
  domains: Record<SimDomain, DomainSeedReport>;
}

/** What seeding needs; `runSimulator` provides it. */
export interface SeedHistoryInput {
  simulation: Simulation;
  from: Date;
  to: Date;
  targets: Record<SimDomain, SubgraphTarget>;
  batchSize: number;
  retry: Omit<RetryPolicy, 'onRetry'>;
  log: (line: string) => void;
  signal: AbortSignal;
}

/**
 * Posts the simulation's history to every subgraph that holds no facts yet. Domains are fed in parallel,
 * batches of one domain in order (each domain's facts are in time order, so its watermark only moves
 * forward and no fact falls behind the lateness window). The story is generated once and streamed: a
 * domain holds at most one batch in flight and one waiting, so memory stays flat however long the history.
 */
export async function seedHistory(input: SeedHistoryInput): Promise<SeedReport> {
  const { simulation, from, to, targets, batchSize, retry, log, signal } = input;
  const started = performance.now();
  const policy = (domain: SimDomain): RetryPolicy => ({
    ...retry,
    onRetry: (reason, n, ms) => log(`${domain}: ${reason}; retry ${n}/${retry.attempts - 1} in ${ms} ms`),
  });
  const existing = await Promise.all(SIM_DOMAINS.map((domain) => fetchFactCount(targets[domain], policy(domain))));
  const domains = Object.fromEntries(
    SIM_DOMAINS.map((domain, i) => [
      domain,
      { skipped: existing[i] > 0, existingFacts: existing[i], posted: 0, batches: 0, applied: 0, duplicates: 0, rejected: 0 },
    ]),
  ) as Record<SimDomain, DomainSeedReport>;
  for (const domain of SIM_DOMAINS)
    if (domains[domain].skipped) log(`${domain}: already holds ${domains[domain].existingFacts} facts; history not posted again`);
  log(`seeding ${from.toISOString()} → ${to.toISOString()} into ${SIM_DOMAINS.filter((d) => !domains[d].skipped).join(', ') || 'no domain'}`);

  const feeders = Object.fromEntries(
    SIM_DOMAINS.map((domain) => [
      domain,
      createFeeder(async (batch: SimulatedFact[]) => {
        const report = domains[domain];
        const n = ++report.batches;
        const outcome = await postBatch(targets[domain], batch, policy(domain));
        report.posted += batch.length;
        report.applied += outcome.applied;
        report.duplicates += outcome.duplicates;
        report.rejected += outcome.rejected;
        if (outcome.rejected > 0)
          log(`${domain}: batch ${n} (${batch.length} facts) answered ${outcome.status}: ${outcome.rejected} rejected; first: ${outcome.firstRejection}`);
      }),
    ]),
  ) as Record<SimDomain, Feeder>;
  const buffers = Object.fromEntries(SIM_DOMAINS.map((d) => [d, [] as SimulatedFact[]])) as Record<SimDomain, SimulatedFact[]>;

  try {
    for (const { domain, event } of simulation.history()) {
      if (domains[domain].skipped) continue;
      const buffer = buffers[domain];
      buffer.push(event);
      if (buffer.length < batchSize) continue;
      buffers[domain] = [];
      signal.throwIfAborted();
      await feeders[domain].push(buffer);
    }
    for (const domain of SIM_DOMAINS) if (buffers[domain].length) await feeders[domain].push(buffers[domain]);
  } finally {
    // Wait for what is in flight even when failing, so no request outlives the returned promise.
    await Promise.allSettled(SIM_DOMAINS.map((d) => feeders[d].drained()));
  }
  await Promise.all(SIM_DOMAINS.map((d) => feeders[d].drained()));

  const report: SeedReport = { from: from.toISOString(), to: to.toISOString(), durationMs: Math.round(performance.now() - started), domains };
  for (const domain of SIM_DOMAINS) {
    const r = domains[domain];
    if (!r.skipped)
      log(`${domain}: posted ${r.posted} facts in ${r.batches} batches (applied ${r.applied}, duplicates ${r.duplicates}, rejected ${r.rejected})`);
  }
  const total = SIM_DOMAINS.reduce((sum, d) => sum + domains[d].posted, 0);
  log(`seeded ${total} facts in ${(report.durationMs / 1000).toFixed(1)} s`);
  return report;
}

interface Feeder {
  /** Queues a batch; waits while another one is still in flight, and rethrows an earlier failure. */
  push(batch: SimulatedFact[]): Promise<void>;
  /** Settles when every queued batch was sent; rejects with the first failure. */
  drained(): Promise<void>;
}

/** Sends batches one after another, making the producer wait while one is in flight. */
function createFeeder(send: (batch: SimulatedFact[]) => Promise<void>): Feeder {
  let tail: Promise<void> = Promise.resolve();
  let queued = 0;
  let failure: { error: unknown } | undefined;
  return {
    async push(batch) {
      if (failure) throw failure.error;
      queued++;
      const previous = tail;
      tail = previous.then(() => send(batch)).finally(() => void queued--);
      // Observed here, and through push() or drained(): never an unhandled rejection.
      tail.catch((error: unknown) => void (failure ??= { error }));
      if (queued >= 2) await previous;
    },
    drained: () => tail,
  };
}
