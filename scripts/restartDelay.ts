/** How a crashed piece of the mesh is restarted. */
export interface RestartPolicy {
  /** Wait before the first restart. @default 250 */
  initialDelayMs?: number;
  /** Each further consecutive crash waits this many times longer. @default 2 */
  factor?: number;
  /** The longest wait. @default 15_000 */
  maxDelayMs?: number;
  /**
   * Share of the wait drawn at random (0 to 1): pieces that crashed together (a shared database went
   * away) do not all come back in the same millisecond. @default 0.3
   */
  jitter?: number;
}

/**
 * The wait before restart number `attempt` (1 for the first restart after a crash): exponential from
 * `initialDelayMs`, capped at `maxDelayMs`, the last `jitter` share of it random. Pure given `random`.
 */
export function restartDelay(attempt: number, policy: RestartPolicy = {}, random: () => number = Math.random): number {
  const { initialDelayMs = 250, factor = 2, maxDelayMs = 15_000, jitter = 0.3 } = policy;
  const capped = Math.min(maxDelayMs, initialDelayMs * factor ** Math.max(0, attempt - 1));
  return Math.round(capped * (1 - jitter) + capped * jitter * random());
}
