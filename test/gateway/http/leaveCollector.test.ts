import { createLeaveCollector } from '../../../gateway/http/createLeaveCollector.js';
import { deferred } from '../../support/asyncWait.js';

describe('createLeaveCollector', () => {
  it('should collect once after a mass leave, and not for a few clients coming and going', async () => {
    const collected = deferred();
    const collect = jest.fn(() => collected.resolve());
    const collector = createLeaveCollector({ minLeft: 10, quietMs: 0, minIntervalMs: 60_000, collect });
    for (let i = 0; i < 30; i++) collector.opened();
    // 5 leave: under minLeft, nothing to reclaim worth a pause.
    for (let i = 0; i < 5; i++) collector.closed();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(collect).not.toHaveBeenCalled();
    // 20 of 30 gone: at least minLeft, and at most half the peak remains.
    for (let i = 0; i < 15; i++) collector.closed();
    await collected.promise;
    expect(collect).toHaveBeenCalledTimes(1);
    collector.dispose();
  });

  it('should wait for minIntervalMs before a second collection, and never run after dispose', async () => {
    const collect = jest.fn();
    const first = deferred();
    collect.mockImplementationOnce(() => first.resolve());
    const collector = createLeaveCollector({ minLeft: 2, quietMs: 0, minIntervalMs: 60_000, collect });
    for (let i = 0; i < 4; i++) collector.opened();
    for (let i = 0; i < 4; i++) collector.closed();
    await first.promise;
    for (let i = 0; i < 4; i++) collector.opened();
    for (let i = 0; i < 4; i++) collector.closed();
    collector.dispose();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('should survive a collection that throws', async () => {
    const thrown = deferred();
    const collector = createLeaveCollector({
      minLeft: 1,
      quietMs: 0,
      collect: () => {
        thrown.resolve();
        throw new Error('no collection available');
      },
    });
    collector.opened();
    collector.closed();
    await thrown.promise;
    collector.dispose();
  });
});
