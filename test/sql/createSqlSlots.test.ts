/** The SQL port's concurrency bound (subgraphs/kit/sql/createSqlSlots.ts): turns in arrival order, a wait that gives up, no slot counted twice. */
import { createSqlSlots } from '../../subgraphs/kit/sql/createSqlSlots.js';

describe('createSqlSlots', () => {
  it('should let `count` run at once and hand freed slots to the waiting in arrival order', async () => {
    const slots = createSqlSlots(2);
    const first = await slots.acquire(1_000);
    const second = await slots.acquire(1_000);
    const order: string[] = [];
    const third = slots.acquire(1_000).then((release) => (order.push('third'), release));
    const fourth = slots.acquire(1_000).then((release) => (order.push('fourth'), release));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(order).toEqual([]);

    first!();
    const releaseThird = await third;
    expect(order).toEqual(['third']);
    second!();
    const releaseFourth = await fourth;
    expect(order).toEqual(['third', 'fourth']);
    expect(releaseThird).not.toBeNull();
    expect(releaseFourth).not.toBeNull();
  });

  it('should give up a wait at its deadline and leave the queue, so a later release goes to the next in line', async () => {
    const slots = createSqlSlots(1);
    const held = await slots.acquire(1_000);
    const started = Date.now();
    expect(await slots.acquire(50)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);

    const next = slots.acquire(1_000);
    held!();
    const release = await next;
    expect(release).not.toBeNull();
    release!();
    expect(await slots.acquire(0)).not.toBeNull();
  });

  it('should count a release called twice once', async () => {
    const slots = createSqlSlots(1);
    const release = await slots.acquire(1_000);
    release!();
    release!();
    const held = await slots.acquire(1_000);
    expect(held).not.toBeNull();
    expect(await slots.acquire(20)).toBeNull();
  });

  it('should refuse a count that is not a positive integer', () => {
    expect(() => createSqlSlots(0)).toThrow(/positive integer/);
  });
});
