/** Turns at the SQL port of one product: at most `count` statements run at once, the others wait theirs. */
export interface SqlSlots {
  /** How many statements may run at once. */
  readonly count: number;
  /**
   * Waits for a free slot, first come first served, for at most `waitMs`: resolves to the slot's release
   * (call it once the statement is over), or to null when none came free in time (the caller is not queued
   * any longer).
   */
  acquire(waitMs: number): Promise<(() => void) | null>;
}

/**
 * The SQL port's concurrency bound. Statements of different callers run side by side up to `count`
 * (each on a connection of its own), so one slow statement does not hold up everyone else's; past that
 * they wait, and the wait counts against their timeout (`runSql.ts`), so no caller waits longer than the
 * timeout in all.
 */
export function createSqlSlots(count: number): SqlSlots {
  if (!Number.isInteger(count) || count < 1) throw new Error(`SQL port concurrency must be a positive integer; got ${count}`);
  let free = count;
  const waiting: Array<(release: () => void) => void> = [];
  const releaser = () => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = waiting.shift();
      if (next) next(releaser());
      else free++;
    };
  };
  return {
    count,
    acquire(waitMs) {
      if (free > 0) {
        free--;
        return Promise.resolve(releaser());
      }
      return new Promise((resolve) => {
        const grant = (release: () => void) => {
          clearTimeout(timer);
          resolve(release);
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(grant), 1);
          resolve(null);
        }, waitMs);
        waiting.push(grant);
      });
    },
  };
}
