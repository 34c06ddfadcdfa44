/**
 * Waiting helpers for tests that must not sleep: a deferred to resolve from a callback, a bounded wait for
 * a condition, and a bounded `next()` on an async iterator. Every wait fails with a readable message
 * instead of hanging until the jest timeout.
 */

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Rejects with `what` when `promise` does not settle within `timeoutMs`. */
export async function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs}ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Re-checks `condition` on every turn of the event loop until it holds or `timeoutMs` passes. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The next value of `iterator`, failing if it ends or takes longer than `timeoutMs`. */
export async function nextValue<T>(iterator: AsyncIterator<T>, what = 'the next value', timeoutMs = 5000): Promise<T> {
  const result = await withTimeout(iterator.next(), what, timeoutMs);
  if (result.done) throw new Error(`Iterator ended while waiting for ${what}`);
  return result.value;
}

/**
 * Waits until just after the next whole second. JWTs carry whole seconds (`iat`, `exp`): a token with
 * `ttlSeconds: n` signed right after this lives almost `n` seconds, where one signed late in a second
 * could have barely `n - 1` left (with one second to live, none by its first check on a loaded machine).
 */
export async function startOfNextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 10));
}
