import { setTimeout as delay } from 'node:timers/promises';
import type { Store } from '../store/Store.js';

/** Options of the wait for a product's seed (its history back-fill) to finish. */
export interface WaitForSeedOptions {
  /**
   * Caught up: the watermark (`asOf`) is at most this far behind now. Facts of one producer arrive in time
   * order while seeding (`simulator/seedHistory.ts`), so the watermark reaches the present only at the end.
   */
  caughtUpMs: number;
  /**
   * Quiet: the fact count has not moved for this long. A product whose latest facts are old (a sparse
   * domain) never looks caught up, but a seed posts batch after batch, so a quiet spell means it ended.
   * @default 30000
   */
  quietMs?: number;
  /** Time between two looks at the store. @default 1000 */
  pollMs?: number;
  /** Ends the wait early (the schedule is stopped): resolves `null`. */
  signal?: AbortSignal;
  /** Where a failing look at the store is reported (once per message). @default none */
  log?: (message: string) => void;
}

/**
 * Resolves when a product's seed looks complete: it holds facts, and it is caught up or ingestion has been
 * quiet for a while. Says which (`'caught-up'`, `'quiet'`), or null when aborted. A store that does not
 * answer is asked again at the next poll.
 */
export async function waitForSeed(store: Pick<Store, 'watermark' | 'factCount'>, options: WaitForSeedOptions): Promise<'caught-up' | 'quiet' | null> {
  const { caughtUpMs, quietMs = 30_000, pollMs = 1000, signal, log } = options;
  let lastCount = -1;
  let quietSince = Date.now();
  let lastProblem = '';
  while (!signal?.aborted) {
    try {
      const [asOf, count] = await Promise.all([store.watermark(), store.factCount()]);
      const now = Date.now();
      if (count !== lastCount) {
        lastCount = count;
        quietSince = now;
      }
      if (count > 0 && asOf && now - asOf.getTime() <= caughtUpMs) return 'caught-up';
      if (count > 0 && now - quietSince >= quietMs) return 'quiet';
    } catch (error) {
      const problem = `waiting for the seed: the store did not answer (${(error as Error).message})`;
      if (problem !== lastProblem) log?.(problem);
      lastProblem = problem;
    }
    await delay(pollMs, undefined, { ref: false, signal }).catch(() => undefined);
  }
  return null;
}
