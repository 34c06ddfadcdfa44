import type { SubgraphTarget } from './postBatch.js';
import { runLive } from './runLive.js';
import { seedHistory, type SeedReport } from './seedHistory.js';
import { Simulation, type GenerateFactsOptions } from './Simulation.js';
import { SIM_DOMAINS, type SimDomain } from './simulatedFact.js';

export type { DomainSeedReport, SeedReport } from './seedHistory.js';

const DAY = 86_400_000;

/** Options of `runSimulator`. */
export interface RunSimulatorOptions {
  /** Base URL of each domain's subgraph, e.g. `http://127.0.0.1:4002`; facts go to `${base}/events`. */
  subgraphs: Record<SimDomain, string>;
  /**
   * Days of history to seed: from the start of the UTC day `seedDays` days ago up to now, so the last
   * `seedDays` full days are covered. A domain whose descriptor already reports facts gets only the story
   * after its `asOf`: an interrupted seed is completed and the gap after downtime back-filled. @default 90
   */
  seedDays?: number;
  /** Live orders per second after seeding; `0` disables live mode. @default 1 */
  ratePerSecond?: number;
  /** Seed of the story. @default 42 */
  seed?: number;
  /** Shape of the story: products, order volume, cancellation and price-change rates. @default the `generateFacts` defaults */
  story?: Omit<GenerateFactsOptions, 'seed' | 'from' | 'to'>;
  /** Facts per `POST /events` while seeding (the endpoint accepts at most 10 000). @default 5000 */
  batchSize?: number;
  /**
   * Extra headers for every request, e.g. a producer token; called per request so tokens can rotate.
   * When it throws, that attempt fails and is retried like a network error.
   * @default no extra headers
   */
  headers?: () => Promise<Record<string, string>>;
  /** Receives progress, counts, durations and every problem, one line each. What it throws is ignored. @default console.log with a `[simulator]` prefix */
  log?: (line: string) => void;
  /** How often seeding prints a progress line (share done, facts posted, rate, ETA); 0 after every batch. @default 5000 */
  progressEveryMs?: number;
  /** Aborting stops seeding or live mode, as `stop()` does. */
  signal?: AbortSignal;
  /** Retries of a seeding request that failed with a network error, 408, 429 or 5xx. @default { attempts: 4, baseDelayMs: 250 } (waits 0.25 s, 1 s, 4 s) */
  retry?: { attempts?: number; baseDelayMs?: number };
  /** The clock: the seed history ends at its time when seeding starts, live facts carry its time. @default () => new Date() */
  clock?: () => Date;
}

/** A running simulator. */
export interface SimulatorHandle {
  /**
   * Settles when seeding ends: resolves with its report, rejects with a `SimulatorError` when a subgraph
   * stayed unreachable (5xx after the retries) or refused the requests, or with the abort reason when
   * stopped first. Failures are logged as well, so leaving it unobserved is safe.
   */
  readonly seeded: Promise<SeedReport>;
  /** Resolves when everything has ended: seeding failed, or live mode stopped, or seeding done with live mode off. Never rejects. */
  readonly done: Promise<void>;
  /** Stops seeding or live mode, aborting requests in flight; resolves with `done`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Seeds the mesh with a consistent history (catalog, orders, inventory, shipping) and then keeps it alive
 * with new orders and their shipments. Seeding is idempotent and resumable: history ids name the UTC hour
 * of each fact (the same slot posted twice adds nothing), and a domain that holds facts gets only the
 * story after its `asOf`, so a restart completes an interrupted seed and back-fills the downtime.
 *
 * @example
 * const simulator = runSimulator({ subgraphs: { catalog: 'http://127.0.0.1:4001', orders: '...', inventory: '...', shipping: '...' } });
 * await simulator.seeded;
 * process.on('SIGTERM', () => void simulator.stop());
 */
export function runSimulator(options: RunSimulatorOptions): SimulatorHandle {
  const {
    subgraphs,
    seedDays = 90,
    ratePerSecond = 1,
    seed = 42,
    story = {},
    batchSize = 5000,
    headers = async () => ({}),
    log: writeLine = (line: string) => console.log(`[simulator] ${line}`),
    signal: outerSignal,
    retry: { attempts = 4, baseDelayMs = 250 } = {},
    clock = () => new Date(),
    progressEveryMs = 5_000,
  } = options;
  if (!Number.isInteger(seedDays) || seedDays < 0) throw new RangeError(`seedDays must be a whole number >= 0; got ${seedDays}`);
  if (!(ratePerSecond >= 0)) throw new RangeError(`ratePerSecond must be >= 0; got ${ratePerSecond}`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new RangeError(`batchSize must be between 1 and 10000; got ${batchSize}`);

  const log = (line: string) => {
    try {
      writeLine(line);
    } catch {
      // a broken logger must not stop seeding or live mode
    }
  };
  const controller = new AbortController();
  const abort = () => controller.abort(outerSignal?.reason ?? new Error('simulator stopped'));
  if (outerSignal?.aborted) abort();
  else outerSignal?.addEventListener('abort', abort, { once: true });
  const signal = controller.signal;
  const targets = Object.fromEntries(
    SIM_DOMAINS.map((domain) => [domain, { domain, base: subgraphs[domain].replace(/\/+$/, ''), headers, signal } satisfies SubgraphTarget]),
  ) as Record<SimDomain, SubgraphTarget>;

  const to = clock();
  const from = new Date(Math.floor(to.getTime() / DAY) * DAY - seedDays * DAY);
  const simulation = new Simulation({ ...story, seed, from, to });
  const seeded = seedHistory({ simulation, from, to, targets, batchSize, retry: { attempts, baseDelayMs }, log, signal, progressEveryMs });
  seeded.catch((error: unknown) => log(signal.aborted ? 'seeding stopped before it finished' : `seeding failed: ${(error as Error).message}`));

  const done = seeded.then(
    async (report) => {
      if (ratePerSecond === 0 || signal.aborted) return;
      // Follow-ups of history orders only make sense where this run posted those orders.
      const carryOver = SIM_DOMAINS.every((d) => !report.domains[d].skipped);
      try {
        const live = simulation.goLive({ carryOver });
        await runLive({ live, targets, ratePerSecond, batchSize, maxBacklog: 100_000, clock, log, signal });
      } catch (error) {
        log(`live mode ended by an unexpected error: ${(error as Error).stack ?? String(error)}`);
      }
    },
    () => undefined,
  );
  void done.finally(() => outerSignal?.removeEventListener('abort', abort));

  return {
    seeded,
    done,
    stop: async () => {
      abort();
      await done;
    },
  };
}
