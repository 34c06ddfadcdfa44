import { wrapAsyncIterator } from './wrapAsyncIterator.js';

/**
 * Maps each value of a source iterator through an async function with up to `concurrency` maps running at
 * once, yielding the results in source order. While the consumer is busy with one result, the next values
 * already pulled are being mapped, so a backlog is worked off in parallel instead of one value after
 * another (issue #9: a subgraph computing 100 change events/s one store read at a time fell behind).
 *
 * The source is pulled one `next()` at a time (never two calls outstanding on it), at most `concurrency`
 * values ahead of the consumer. A failed map or pull is reported in its place in the order; ending the
 * result ends the source, as {@link mapAsyncIterator} does.
 */
export function mapConcurrently<T, U>(source: AsyncIterator<T>, map: (value: T) => Promise<U> | U, concurrency: number): AsyncIterableIterator<U> {
  const window = Math.max(1, Math.floor(concurrency));
  const ahead: Array<Promise<IteratorResult<U>>> = [];
  // The last pull of the source: the next one starts when it settles, so pulls never overlap.
  let lastPull: Promise<unknown> = Promise.resolve();
  let sourceDone = false;

  const pull = (): Promise<IteratorResult<U>> => {
    const step = lastPull.then(() => (sourceDone ? ({ value: undefined, done: true } as IteratorResult<T>) : source.next()));
    lastPull = step.then(
      (result) => {
        if (result.done) sourceDone = true;
      },
      () => {
        sourceDone = true;
      },
    );
    return step.then(async (result): Promise<IteratorResult<U>> =>
      result.done ? { value: undefined, done: true } : { value: await map(result.value), done: false },
    );
  };

  return wrapAsyncIterator<U>(source, () => {
    while (ahead.length < window && !sourceDone) ahead.push(pull());
    const head = ahead.shift() ?? pull();
    // A result the consumer may never take (it returned) must not surface as an unhandled rejection.
    for (const pending of ahead) pending.catch(() => {});
    return head;
  });
}
