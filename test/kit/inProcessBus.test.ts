import { CursorUnavailableError } from '../../subgraphs/kit/bus/Bus.js';
import { InProcessBus } from '../../subgraphs/kit/bus/InProcessBus.js';

async function take<T>(iterator: AsyncIterableIterator<T>, count: number): Promise<T[]> {
  const values: T[] = [];
  while (values.length < count) {
    const step = await iterator.next();
    if (step.done) break;
    values.push(step.value);
  }
  return values;
}

describe('InProcessBus', () => {
  it('should deliver matching subjects with increasing cursors, honouring * and >', async () => {
    const bus = new InProcessBus();
    const all = bus.subscribe('mesh.orders.>');
    const eu = bus.subscribe('mesh.orders.v1.sales.bucket-updated.eu');
    const anyRegion = bus.subscribe('mesh.orders.v1.sales.bucket-updated.*');
    await bus.publish('mesh.orders.v1.sales.bucket-updated.eu', 1);
    await bus.publish('mesh.orders.v1.sales.bucket-updated.na', 2);
    await bus.publish('mesh.orders.v1.order.state-changed', 3);
    await bus.publish('mesh.inventory.v1.stock.state-changed', 4);

    const everything = await take(all, 3);
    expect(everything.map((m) => m.data)).toEqual([1, 2, 3]);
    expect(everything.map((m) => Number(m.cursor))).toEqual([1, 2, 3]);
    expect((await take(eu, 1)).map((m) => m.data)).toEqual([1]);
    expect((await take(anyRegion, 2)).map((m) => m.data)).toEqual([1, 2]);
    await bus.close();
  });

  it('should replay after a cursor and continue live with no gap and no duplicate at the seam', async () => {
    const bus = new InProcessBus();
    for (let i = 1; i <= 5; i++) await bus.publish('mesh.x.v1.r.bucket-updated', i);
    const resumed = bus.subscribe('mesh.x.>', { from: '2' });
    await bus.publish('mesh.x.v1.r.bucket-updated', 6);

    expect((await take(resumed, 4)).map((m) => m.data)).toEqual([3, 4, 5, 6]);
    await bus.close();
  });

  it('should refuse cursors it no longer retains or never issued', async () => {
    const bus = new InProcessBus({ retain: 10 });
    for (let i = 1; i <= 40; i++) await bus.publish('mesh.x.v1.r.bucket-updated', i);

    expect(() => bus.subscribe('mesh.x.>', { from: '1' })).toThrow(CursorUnavailableError);
    expect(() => bus.subscribe('mesh.x.>', { from: '41' })).toThrow(/newest cursor is 40/);
    expect(() => bus.subscribe('mesh.x.>', { from: 'abc' })).toThrow(CursorUnavailableError);
    const recent = bus.subscribe('mesh.x.>', { from: '30' });
    expect((await take(recent, 10)).map((m) => m.data)).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40]);
    await bus.close();
  });

  it('should replay the events published since an instant, then continue live', async () => {
    const bus = new InProcessBus();
    await bus.publish('mesh.x.v1.r.bucket-updated', 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = new Date();
    await bus.publish('mesh.x.v1.r.bucket-updated', 2);
    await bus.publish('mesh.y.v1.r.bucket-updated', 3);
    const resumed = bus.subscribe('mesh.x.>', { since });
    await bus.publish('mesh.x.v1.r.bucket-updated', 4);

    expect((await take(resumed, 2)).map((m) => m.data)).toEqual([2, 4]);
    await bus.close();
  });

  it('should refuse an instant before it started, or one whose events it no longer all retains', async () => {
    const before = new Date(Date.now() - 60_000);
    const bus = new InProcessBus({ retain: 10 });
    expect(() => bus.subscribe('mesh.x.>', { since: before })).toThrow(/this bus started at/);

    const since = new Date();
    for (let i = 1; i <= 40; i++) await bus.publish('mesh.x.v1.r.bucket-updated', i);
    // Events published at `since` or after were trimmed: replaying from there would skip them.
    expect(() => bus.subscribe('mesh.x.>', { since })).toThrow(/no longer all retained/);
    await bus.close();
  });

  it('should forget a subscriber that returns', async () => {
    const bus = new InProcessBus();
    const subscription = bus.subscribe('mesh.>');
    await subscription.return!();
    await bus.publish('mesh.x', 1);

    expect((bus as unknown as { subscribers: Set<unknown> }).subscribers.size).toBe(0);
    expect(await subscription.next()).toEqual({ value: undefined, done: true });
    await bus.close();
  });

  it('should end a subscriber that falls too far behind with an error naming the way back', async () => {
    const bus = new InProcessBus({ maxPendingPerSubscriber: 3 });
    const slow = bus.subscribe('mesh.>');
    for (let i = 1; i <= 5; i++) await bus.publish('mesh.x', i);

    expect((await take(slow, 3)).map((m) => m.data)).toEqual([1, 2, 3]);
    await expect(slow.next()).rejects.toThrow(/resume from its last cursor/);
    await bus.close();
  });
});
