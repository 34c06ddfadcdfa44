/**
 * An iterator whose `next` is given, and whose `return()`/`throw()` end `source` (awaiting its own
 * `return`), so whatever feeds the source (a bus subscription, an upstream socket) is released when the
 * consumer stops. `throw(error)` rejects with `error` after ending the source. The plumbing every
 * iterator wrapper needs, written once.
 */
export function wrapAsyncIterator<T>(source: AsyncIterator<unknown>, next: () => Promise<IteratorResult<T>>): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    next,
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
