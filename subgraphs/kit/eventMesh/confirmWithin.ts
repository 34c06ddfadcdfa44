/**
 * Waits for a broker confirmation, failing after `ms`: a broker that is down holds confirmations
 * forever, and the relay must notice to resume from its checkpoint.
 */
export function confirmWithin<T>(confirmation: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not confirmed within ${ms} ms`)), ms);
  });
  return Promise.race([confirmation, timeout]).finally(() => clearTimeout(timer));
}
