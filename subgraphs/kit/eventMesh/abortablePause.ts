import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits `ms`, or less when `signal` aborts: a retry pause (up to 30 s) must not hold up `stop()`.
 * Resolves either way; the caller checks `signal.aborted`.
 */
export async function abortablePause(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}
