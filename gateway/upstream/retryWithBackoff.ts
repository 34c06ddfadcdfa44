/** Options of `retryWithBackoff`. */
export interface RetryWithBackoffOptions {
  /** Attempts after the first. */
  retries: number;
  /** Delay before the first retry; doubles each retry, times a random factor in [1, 2) (jitter). */
  minDelayMs: number;
  /** Cap of the delay before jitter. */
  maxDelayMs: number;
  /**
   * Whether to try again after `error`, waiting `delayMs` first (e.g. false when the request deadline
   * ends before then). A throw ends the retries with that error.
   */
  shouldRetry(error: unknown, delayMs: number): boolean;
}

/**
 * Runs `attempt` until it resolves, `shouldRetry` says no, or the retries are spent; rejects with the last
 * error as thrown. Hand-written rather than p-retry: p-retry never retries a TypeError and replaces any
 * error that is not `instanceof Error` in its own realm (Node's socket errors under jest's sandbox) with
 * a new TypeError, which would hide the connection failure our rules retry.
 */
export async function retryWithBackoff<T>(attempt: () => Promise<T>, options: RetryWithBackoffOptions): Promise<T> {
  const { retries, minDelayMs, maxDelayMs, shouldRetry } = options;
  for (let retry = 0; ; retry += 1) {
    try {
      return await attempt();
    } catch (error) {
      const delayMs = Math.min(maxDelayMs, minDelayMs * 2 ** retry) * (1 + Math.random());
      if (retry >= retries || !shouldRetry(error, delayMs)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
