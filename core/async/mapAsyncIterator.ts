import { wrapAsyncIterator } from './wrapAsyncIterator.js';

/**
 * Maps each value of a source iterator through an async function, in order. Ending the result (a client
 * unsubscribes) ends the source, so bus subscriptions never leak.
 */
export function mapAsyncIterator<T, U>(source: AsyncIterator<T>, map: (value: T) => Promise<U> | U): AsyncIterableIterator<U> {
  return wrapAsyncIterator<U>(source, async (): Promise<IteratorResult<U>> => {
    const step = await source.next();
    if (step.done) return { value: undefined, done: true };
    return { value: await map(step.value), done: false };
  });
}
