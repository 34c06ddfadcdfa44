import { wrapAsyncIterator } from './wrapAsyncIterator.js';

/** Passes on only the values `keep` accepts; ending the result ends the source. */
export function filterAsyncIterator<T>(source: AsyncIterator<T>, keep: (value: T) => boolean): AsyncIterableIterator<T> {
  return wrapAsyncIterator(source, async () => {
    for (;;) {
      const step = await source.next();
      if (step.done || keep(step.value)) return step;
    }
  });
}
