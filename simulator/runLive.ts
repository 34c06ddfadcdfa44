import { setTimeout as delay } from 'node:timers/promises';
import { postBatch, type SubgraphTarget } from './postBatch.js';
import type { LiveFacts } from './Simulation.js';
import { SIM_DOMAINS, type SimDomain, type SimulatedFact } from './simulatedFact.js';

/** What live mode needs; `runSimulator` provides it. */
export interface RunLiveInput {
  live: LiveFacts;
  targets: Record<SimDomain, SubgraphTarget>;
  ratePerSecond: number;
  batchSize: number;
  /** Facts kept per domain while its subgraph is unreachable; the oldest are dropped beyond it. */
  maxBacklog: number;
  clock: () => Date;
  log: (line: string) => void;
  signal: AbortSignal;
}

const SUMMARY_EVERY_MS = 60_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Places `ratePerSecond` orders per second at the clock's time and releases their scheduled follow-ups,
 * until `signal` aborts. Never throws: a subgraph that fails keeps its facts in an outbox that is retried
 * with backoff (ingestion is idempotent and the lateness window is days, so late delivery is harmless).
 * Ticks are paced against the start time, so a slow request delays orders but does not lose them; after
 * a long stall at most one second's worth is caught up.
 */
export async function runLive(input: RunLiveInput): Promise<void> {
  const { live, targets, ratePerSecond, batchSize, maxBacklog, clock, log, signal } = input;
  const intervalMs = 1000 / ratePerSecond;
  const maxPerTick = Math.max(1, Math.ceil(ratePerSecond));
  const outbox = Object.fromEntries(SIM_DOMAINS.map((d) => [d, [] as SimulatedFact[]])) as Record<SimDomain, SimulatedFact[]>;
  const health = Object.fromEntries(SIM_DOMAINS.map((d) => [d, { failures: 0, retryAt: 0, lastLogged: -Infinity }])) as Record<
    SimDomain,
    { failures: number; retryAt: number; lastLogged: number }
  >;
  const started = clock().getTime();
  let placed = 0;
  let summary = { at: started, orders: 0, facts: 0 };
  log(`live: ${ratePerSecond} order(s) per second; ${live.pending} follow-ups scheduled`);

  const flush = async (domain: SimDomain, now: number) => {
    const box = outbox[domain];
    const state = health[domain];
    while (box.length && now >= state.retryAt && !signal.aborted) {
      const batch = box.slice(0, batchSize);
      try {
        const outcome = await postBatch(targets[domain], batch, { attempts: 1, baseDelayMs: 0 });
        box.splice(0, batch.length);
        summary.facts += batch.length;
        if (state.failures) log(`${domain}: reachable again after ${state.failures} failed attempt(s)`);
        state.failures = 0;
        state.retryAt = 0;
        if (outcome.rejected) log(`${domain}: ${outcome.rejected} of ${batch.length} live facts rejected; first: ${outcome.firstRejection}`);
      } catch (error) {
        if (signal.aborted) return;
        state.failures++;
        state.retryAt = now + Math.min(MAX_BACKOFF_MS, 500 * 2 ** (state.failures - 1));
        if (state.failures === 1 || now - state.lastLogged >= MAX_BACKOFF_MS) {
          state.lastLogged = now;
          log(`${domain}: live post failed (${(error as Error).message}); ${box.length} facts kept, retrying`);
        }
      }
    }
  };

  while (!signal.aborted) {
    const now = clock();
    const t = now.getTime();
    const facts = live.due(now);
    let orders = Math.floor(((t - started) * ratePerSecond) / 1000) + 1 - placed;
    if (orders > maxPerTick) {
      placed += orders - maxPerTick; // skipped: the process stalled; do not flood the subgraphs
      orders = maxPerTick;
    }
    for (let i = 0; i < orders; i++) facts.push(...live.nextOrder(now));
    placed += Math.max(0, orders);
    summary.orders += Math.max(0, orders);
    for (const { domain, event } of facts) outbox[domain].push(event);
    for (const domain of SIM_DOMAINS) {
      const overflow = outbox[domain].length - maxBacklog;
      if (overflow > 0) {
        outbox[domain].splice(0, overflow);
        log(`${domain}: backlog full; dropped the ${overflow} oldest live facts`);
      }
    }
    await Promise.all(SIM_DOMAINS.map((domain) => flush(domain, t)));
    if (t - summary.at >= SUMMARY_EVERY_MS) {
      const backlog = SIM_DOMAINS.reduce((sum, d) => sum + outbox[d].length, 0);
      log(
        `live: ${summary.orders} orders, ${summary.facts} facts delivered in the last ${Math.round((t - summary.at) / 1000)} s; backlog ${backlog}; ${live.pending} follow-ups scheduled`,
      );
      summary = { at: t, orders: 0, facts: 0 };
    }
    const wait = Math.max(0, started + placed * intervalMs - clock().getTime());
    try {
      await delay(wait, undefined, { signal });
    } catch {
      break; // aborted
    }
  }
  log(`live: stopped after ${placed} orders`);
}
