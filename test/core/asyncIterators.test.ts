import { filterAsyncIterator } from '../../core/async/filterAsyncIterator.js';
import { mapAsyncIterator } from '../../core/async/mapAsyncIterator.js';
import { PushQueue } from '../../core/async/PushQueue.js';

/** A source that records whether it was ended. */
function source<T>(...values: T[]) {
  const onClose = jest.fn();
  const queue = new PushQueue<T>(onClose);
  for (const value of values) queue.push(value);
  return { queue, onClose };
}

describe('async-iterator helpers', () => {
  it('should map values in order, awaiting async maps', async () => {
    const { queue } = source(1, 2, 3);
    queue.end();
    const seen: string[] = [];
    for await (const value of mapAsyncIterator(queue, async (n) => `#${n}`)) seen.push(value);
    expect(seen).toEqual(['#1', '#2', '#3']);
  });

  it('should pass on only kept values, and the end', async () => {
    const { queue } = source(1, 2, 3, 4);
    queue.end();
    const seen: number[] = [];
    for await (const value of filterAsyncIterator(queue, (n) => n % 2 === 0)) seen.push(value);
    expect(seen).toEqual([2, 4]);
  });

  it('should end the source when the consumer breaks out of a chain', async () => {
    const { queue, onClose } = source(1, 2, 3);
    for await (const value of mapAsyncIterator(
      filterAsyncIterator(queue, () => true),
      (n) => n,
    )) {
      expect(value).toBe(1);
      break;
    }
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(queue.closed).toBe(true);
  });

  it('should end the source and rethrow on throw()', async () => {
    const { queue, onClose } = source(1);
    const mapped = mapAsyncIterator(queue, (n) => n);
    await expect(mapped.throw!(new Error('stop'))).rejects.toThrow('stop');
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await mapped.next()).toEqual({ value: undefined, done: true });
  });

  it('should answer return() with done and end the source', async () => {
    const { queue, onClose } = source(1);
    expect(await filterAsyncIterator(queue, () => true).return!()).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('should surface a source failure, and a throwing map, to the consumer', async () => {
    const { queue } = source(1);
    queue.fail(new Error('upstream'));
    const mapped = mapAsyncIterator(queue, (n) => n);
    expect(await mapped.next()).toEqual({ value: 1, done: false });
    await expect(mapped.next()).rejects.toThrow('upstream');
    const other = source(1).queue;
    await expect(mapAsyncIterator(other, () => Promise.reject(new Error('map'))).next()).rejects.toThrow('map');
  });
});
