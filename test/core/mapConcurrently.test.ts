import { mapConcurrently } from '../../core/async/mapConcurrently.js';
import { PushQueue } from '../../core/async/PushQueue.js';

/** A promise with its resolve, to finish a map when the test says so. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('mapConcurrently', () => {
  it('should map a backlog in parallel and still yield in source order', async () => {
    const queue = new PushQueue<number>();
    for (const n of [1, 2, 3, 4]) queue.push(n);
    queue.end();
    const gates = new Map([1, 2, 3, 4].map((n) => [n, deferred<void>()]));
    const started: number[] = [];
    const allStarted = deferred<void>();
    const mapped = mapConcurrently(
      queue,
      async (n) => {
        started.push(n);
        if (started.length === 3) allStarted.resolve();
        await gates.get(n)!.promise;
        return `#${n}`;
      },
      3,
    );
    const first = mapped.next();
    await allStarted.promise;
    // Three maps run before the first finishes; the fourth waits for room.
    expect(started).toEqual([1, 2, 3]);
    gates.get(3)!.resolve();
    gates.get(2)!.resolve();
    gates.get(1)!.resolve();
    expect(await first).toEqual({ value: '#1', done: false });
    gates.get(4)!.resolve();
    const rest: string[] = [];
    for await (const value of mapped) rest.push(value);
    expect(rest).toEqual(['#2', '#3', '#4']);
  });

  it('should report a failed map in its place and end the source when the consumer returns', async () => {
    const onClose = jest.fn();
    const queue = new PushQueue<number>(onClose);
    for (const n of [1, 2, 3]) queue.push(n);
    const mapped = mapConcurrently(
      queue,
      (n) => {
        if (n === 2) throw new Error('bad event 2');
        return n * 10;
      },
      4,
    );
    expect(await mapped.next()).toEqual({ value: 10, done: false });
    await expect(mapped.next()).rejects.toThrow('bad event 2');
    await mapped.return!();
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('should map one value at a time with a concurrency of 1', async () => {
    const queue = new PushQueue<number>();
    for (const n of [1, 2, 3]) queue.push(n);
    queue.end();
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    for await (const value of mapConcurrently(
      queue,
      async (n) => {
        most = Math.max(most, ++running);
        await Promise.resolve();
        running--;
        return n;
      },
      1,
    ))
      seen.push(value);
    expect(seen).toEqual([1, 2, 3]);
    expect(most).toBe(1);
  });
});
