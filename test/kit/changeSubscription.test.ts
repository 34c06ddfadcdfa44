import { PushQueue } from '../../core/async/PushQueue.js';
import type { BusMessage } from '../../subgraphs/kit/bus/Bus.js';
import { changeSubscription, type ChangeEventPayload } from '../../subgraphs/kit/graphql/changeSubscription.js';
import { EventScopes } from '../../subgraphs/kit/graphql/EventScopes.js';

type Args = { product: string };

/** A backlog of `count` change events already waiting on the bus, as a subscription's source. */
function backlog(count: number) {
  const queue = new PushQueue<BusMessage<number>>();
  for (let n = 1; n <= count; n++) queue.push({ cursor: String(n), subject: 'orders.sales', data: n, publishedAt: new Date() });
  return queue;
}

async function take(iterator: AsyncIterableIterator<ChangeEventPayload>, count: number): Promise<unknown[]> {
  const values: unknown[] = [];
  for (let i = 0; i < count; i++) values.push(((await iterator.next()).value as ChangeEventPayload).value);
  await iterator.return!();
  return values;
}

describe('changeSubscription', () => {
  it('should compute a backlog of events with one batch call and deliver them in order', async () => {
    const batches: number[][] = [];
    const field = changeSubscription<Args, number, string>(new EventScopes(), {
      source: () => backlog(5),
      event: () => {
        throw new Error('the batch path computes these events');
      },
      events: async (messages, args) => {
        batches.push(messages.map((m) => m.data));
        return messages.map((m) => `${args.product}:${m.data}`);
      },
    });
    expect(await take(field.subscribe(undefined, { product: 'p1' }), 5)).toEqual(['p1:1', 'p1:2', 'p1:3', 'p1:4', 'p1:5']);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('should cut a batch at maxBatch and compute strictly one at a time with concurrency 1', async () => {
    const batches: number[][] = [];
    const options = {
      source: () => backlog(5),
      event: (message: BusMessage<number>) => message.data,
      events: async (messages: ReadonlyArray<BusMessage<number>>) => {
        batches.push(messages.map((m) => m.data));
        return messages.map((m) => m.data);
      },
    };
    const cut = changeSubscription<Args, number, number>(new EventScopes(), { ...options, maxBatch: 2 });
    expect(await take(cut.subscribe(undefined, { product: 'p1' }), 5)).toEqual([1, 2, 3, 4, 5]);
    expect(batches.every((batch) => batch.length <= 2)).toBe(true);
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5]);

    batches.length = 0;
    const serial = changeSubscription<Args, number, number>(new EventScopes(), { ...options, concurrency: 1 });
    expect(await take(serial.subscribe(undefined, { product: 'p1' }), 3)).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1], [2], [3]]);
  });

  it('should hold events that arrive one at a time while a batch is computed and compute them in the next batch', async () => {
    // Live facts arrive one per turn; each used to start a store read of its own, and at 100 facts/s those
    // reads queued on the store's read connection for seconds (issue #9).
    const source = new PushQueue<BusMessage<number>>();
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const field = changeSubscription<Args, number, number>(new EventScopes(), {
      source: () => source,
      event: (message) => message.data,
      events: async (messages) => {
        batches.push(messages.map((m) => m.data));
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return messages.map((m) => m.data * 10);
      },
    });
    const iterator = field.subscribe(undefined, { product: 'p1' });
    const values = take(iterator, 4);
    source.push({ cursor: '1', subject: 'orders.sales', data: 1, publishedAt: new Date() });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    for (let n = 2; n <= 4; n++) {
      source.push({ cursor: String(n), subject: 'orders.sales', data: n, publishedAt: new Date() });
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(batches).toEqual([[1]]);
    release();
    expect(await values).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('should end the subscriptions waiting on a batch that fails', async () => {
    const field = changeSubscription<Args, number, number>(new EventScopes(), {
      source: () => backlog(2),
      event: (message) => message.data,
      events: async () => {
        throw new Error('store unavailable');
      },
    });
    await expect(field.subscribe(undefined, { product: 'p1' }).next()).rejects.toThrow('store unavailable');
  });
});
