import { fetchHoldings, postBatch, serializeBatch, type RetryPolicy, type SerializedBatch, type SubgraphTarget } from './postBatch.js';
import type { Simulation } from './Simulation.js';
import { SIM_DOMAINS, type SimDomain, type SimulatedFact } from './simulatedFact.js';

/** What seeding did for one domain. */
export interface DomainSeedReport {
  /** True when the subgraph held facts but reported no `asOf`, so nothing was posted (it cannot be resumed). */
  skipped: boolean;
  /** Facts the subgraph held before seeding (its descriptor's `factCount`). */
  existingFacts: number;
  /**
   * The subgraph's `asOf` when it held facts already: only the story from that time on was posted (an
   * interrupted seed completed, the gap after downtime back-filled). Null when seeded from the start.
   */
  resumedFrom: string | null;
  /** Facts posted, and in how many batches. */
  posted: number;
  batches: number;
  /** As reported by the subgraph. */
  applied: number;
  duplicates: number;
  rejected: number;
  /** Milliseconds from the start of seeding until this domain's last batch was answered (0 when nothing was posted). */
  durationMs: number;
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
  /** A progress line (share of the story, facts posted, rate, ETA) at most this often; 0: after every batch. */
  progressEveryMs: number;
}

/**
 * Posts the simulation's history to every subgraph. A subgraph that holds facts already gets only the
 * story from its `asOf` on: each domain's batches go in time order, so what it holds is a prefix of its
 * story, and the facts at `asOf` itself are posted again with the same ids (dropped as duplicates). This
 * completes an interrupted seed and back-fills the gap after downtime. Domains are fed in parallel,
 * batches of one domain in order (its watermark only moves forward and no fact falls behind the lateness
 * window). The story is generated once and streamed: a domain holds at most one batch in flight and
 * {@link WAITING_BATCHES} serialized and waiting, so memory stays flat however long the history, a domain
 * whose subgraph is slower does not hold the story back from the others until its queue is full, and a
 * subgraph gets its next batch as soon as it answered the one before.
 */
export async function seedHistory(input: SeedHistoryInput): Promise<SeedReport> {
  const { simulation, from, to, targets, batchSize, retry, log, signal, progressEveryMs } = input;
  const started = performance.now();
  const policy = (domain: SimDomain): RetryPolicy => ({
    ...retry,
    onRetry: (reason, n, ms) => log(`${domain}: ${reason}; retry ${n}/${retry.attempts - 1} in ${ms} ms`),
  });
  const holdings = await Promise.all(SIM_DOMAINS.map((domain) => fetchHoldings(targets[domain], policy(domain))));
  const domains = Object.fromEntries(
    SIM_DOMAINS.map((domain, i) => {
      const { factCount, asOf } = holdings[i];
      const resumedFrom = factCount > 0 && asOf ? asOf.toISOString() : null;
      return [
        domain,
        {
          skipped: factCount > 0 && !asOf,
          existingFacts: factCount,
          resumedFrom,
          posted: 0,
          batches: 0,
          applied: 0,
          duplicates: 0,
          rejected: 0,
          durationMs: 0,
        },
      ];
    }),
  ) as Record<SimDomain, DomainSeedReport>;
  // Facts before this time are held already (ISO strings of one format compare as times).
  const postFrom = Object.fromEntries(SIM_DOMAINS.map((d) => [d, domains[d].resumedFrom ?? ''])) as Record<SimDomain, string>;
  for (const domain of SIM_DOMAINS) {
    const r = domains[domain];
    if (r.skipped) log(`${domain}: already holds ${r.existingFacts} facts but reports no asOf; history not posted again`);
    else if (r.resumedFrom) log(`${domain}: holds ${r.existingFacts} facts up to ${r.resumedFrom}; posting the story from there on`);
  }
  log(`seeding ${from.toISOString()} → ${to.toISOString()} into ${SIM_DOMAINS.filter((d) => !domains[d].skipped).join(', ') || 'no domain'}`);
  const progress = seedProgress({ from, to, started, everyMs: progressEveryMs, log, posted: () => SIM_DOMAINS.reduce((n, d) => n + domains[d].posted, 0) });

  const feeders = Object.fromEntries(
    SIM_DOMAINS.map((domain) => [
      domain,
      createFeeder(async (batch: SerializedBatch) => {
        const report = domains[domain];
        const n = ++report.batches;
        const outcome = await postBatch(targets[domain], batch, policy(domain));
        report.posted += batch.count;
        report.applied += outcome.applied;
        report.duplicates += outcome.duplicates;
        report.rejected += outcome.rejected;
        report.durationMs = Math.round(performance.now() - started);
        progress.batchDone();
        if (outcome.rejected > 0)
          log(`${domain}: batch ${n} (${batch.count} facts) answered ${outcome.status}: ${outcome.rejected} rejected; first: ${outcome.firstRejection}`);
      }),
    ]),
  ) as Record<SimDomain, Feeder>;
  const buffers = Object.fromEntries(SIM_DOMAINS.map((d) => [d, [] as SimulatedFact[]])) as Record<SimDomain, SimulatedFact[]>;

  try {
    for (const { domain, event } of simulation.history()) {
      progress.at(event.time);
      if (domains[domain].skipped || event.time < postFrom[domain]) continue;
      const buffer = buffers[domain];
      buffer.push(event);
      if (buffer.length < batchSize) continue;
      buffers[domain] = [];
      signal.throwIfAborted();
      await feeders[domain].push(serializeBatch(buffer));
    }
    for (const domain of SIM_DOMAINS) if (buffers[domain].length) await feeders[domain].push(serializeBatch(buffers[domain]));
  } finally {
    // Wait for what is in flight even when failing, so no request outlives the returned promise.
    await Promise.allSettled(SIM_DOMAINS.map((d) => feeders[d].drained()));
  }
  await Promise.all(SIM_DOMAINS.map((d) => feeders[d].drained()));

  const report: SeedReport = { from: from.toISOString(), to: to.toISOString(), durationMs: Math.round(performance.now() - started), domains };
  for (const domain of SIM_DOMAINS) {
    const r = domains[domain];
    if (!r.skipped)
      log(
        `${domain}: posted ${r.posted} facts in ${r.batches} batches in ${(r.durationMs / 1000).toFixed(1)} s (applied ${r.applied}, duplicates ${r.duplicates}, rejected ${r.rejected})${r.resumedFrom ? ` from ${r.resumedFrom}` : ''}`,
      );
  }
  const total = SIM_DOMAINS.reduce((sum, d) => sum + domains[d].posted, 0);
  log(`seeded ${total} facts in ${(report.durationMs / 1000).toFixed(1)} s`);
  return report;
}

/** Periodic progress lines of a seed: share of the story covered (by time), facts posted, rate and ETA. */
function seedProgress(options: { from: Date; to: Date; started: number; everyMs: number; log: (line: string) => void; posted: () => number }) {
  const { from, to, started, everyMs, log, posted } = options;
  const span = Math.max(1, to.getTime() - from.getTime());
  let reachedTime: string | null = null;
  let lastLine = started;
  return {
    /** The story has been generated up to this fact time (parsed only when a line is printed). */
    at(time: string) {
      reachedTime = time;
    },
    batchDone() {
      const now = performance.now();
      if (now - lastLine < everyMs) return;
      lastLine = now;
      const reached = reachedTime === null ? from.getTime() : Date.parse(reachedTime);
      const share = Math.min(1, Math.max(0, (reached - from.getTime()) / span));
      const seconds = (now - started) / 1000;
      const count = posted();
      const eta = share > 0 ? Math.round((seconds * (1 - share)) / share) : null;
      log(
        `seeding: ${Math.floor(share * 100)}% (story at ${new Date(reached).toISOString().slice(0, 16)}Z), ${count} facts posted, ${Math.round(count / Math.max(seconds, 0.001))} facts/s, ETA ${eta === null ? '?' : `${eta} s`}`,
      );
    },
  };
}

/**
 * Serialized batches one domain may hold waiting behind the one in flight. The story interleaves the
 * domains, so the generator stops for every domain when one domain's queue is full: a few batches of
 * slack let the others go on meanwhile (5,000 facts are about 1.5 MB of JSON).
 */
export const WAITING_BATCHES = 3;

interface Feeder {
  /** Queues a batch; waits while {@link WAITING_BATCHES} are waiting already, and rethrows an earlier failure. */
  push(batch: SerializedBatch): Promise<void>;
  /** Settles when every queued batch was sent; rejects with the first failure. */
  drained(): Promise<void>;
}

/** Sends batches one after another, making the producer wait while the queue is full. */
function createFeeder(send: (batch: SerializedBatch) => Promise<void>): Feeder {
  let tail: Promise<void> = Promise.resolve();
  /** Settles when each queued batch was sent, oldest first: the one in flight, then those waiting. */
  const queue: Array<Promise<void>> = [];
  let failure: { error: unknown } | undefined;
  return {
    async push(batch) {
      if (failure) throw failure.error;
      tail = tail.then(() => send(batch));
      // Observed here, and through push() or drained(): never an unhandled rejection.
      tail.catch((error: unknown) => void (failure ??= { error }));
      const sent = tail;
      queue.push(sent);
      void sent.then(
        () => queue.splice(queue.indexOf(sent), 1),
        () => undefined,
      );
      if (queue.length > 1 + WAITING_BATCHES) await queue[0];
    },
    drained: () => tail,
  };
}
