/**
 * createLeaveReclaimer: one memory-reducing collection after a mass leave of websocket clients, once the
 * closes have settled; none for the ordinary coming and going of clients. And the collection it uses by
 * default really collects (V8 through the in-process inspector session).
 */
import { collectAllGarbage, createLeaveReclaimer, type ReclaimInfo } from '../../../gateway/http/createLeaveReclaimer.js';
import { waitFor } from '../../support/asyncWait.js';

describe('createLeaveReclaimer', () => {
  function harness(settleMs = 20, maxWaitMs = 30_000) {
    const collections: number[] = [];
    const reports: ReclaimInfo[] = [];
    let connections = 0;
    const reclaimer = createLeaveReclaimer({
      minDrop: 500,
      settleMs,
      maxWaitMs,
      collect: async () => void collections.push(connections),
      onReclaimed: (info) => void reports.push(info),
    });
    const open = (n: number) => {
      for (let i = 0; i < n; i++, connections++) reclaimer.opened();
    };
    const close = (n: number) => {
      for (let i = 0; i < n; i++, connections--) reclaimer.closed();
    };
    return { reclaimer, collections, reports, open, close };
  }

  it('should collect once after at least minDrop clients and half of the peak left, when the closes settled', async () => {
    const { reclaimer, collections, reports, open, close } = harness();
    open(1000);
    close(400); // 600 left: more than half the peak
    open(100); // the peak stays 1000
    close(350); // 350 left, 650 gone
    close(50);
    await waitFor(() => reports.length === 1, 'the collection after the leave');
    expect(collections).toEqual([300]);
    expect(reports[0]).toMatchObject({ connections: 300, peak: 1000 });

    // The peak starts again from what was left: a few more leaving is no mass leave.
    close(200);
    open(50);
    close(20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(collections).toEqual([300]);
    reclaimer.dispose();
  });

  it('should not collect for a leave smaller than minDrop, and cancel a pending collection on dispose', async () => {
    const { reclaimer, collections, open, close } = harness();
    open(600);
    close(499);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(collections).toEqual([]);
    close(1);
    reclaimer.dispose();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(collections).toEqual([]);
  });

  it('should collect within maxWaitMs of a mass leave even while clients go on leaving one by one', async () => {
    // Every close restarts the settle wait, which is longer than the test: only maxWaitMs can start the collection.
    const { reclaimer, collections, open, close } = harness(600_000, 20);
    open(5000);
    close(3000);
    // One more client leaves every few milliseconds, up to all 2000 still connected (seconds, far past maxWaitMs).
    for (let left = 2000; left > 0 && collections.length === 0; left--) {
      close(1);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(collections).toHaveLength(1);
    reclaimer.dispose();
  });

  it('should report a collection that failed, with its error, and collect again at the next mass leave', async () => {
    const reports: ReclaimInfo[] = [];
    let fail = true;
    const reclaimer = createLeaveReclaimer({
      minDrop: 10,
      settleMs: 5,
      collect: async () => {
        if (fail) throw new Error('no inspector session');
      },
      onReclaimed: (info) => void reports.push(info),
    });
    for (let i = 0; i < 20; i++) reclaimer.opened();
    for (let i = 0; i < 20; i++) reclaimer.closed();
    await waitFor(() => reports.length === 1, 'the failed collection');
    expect((reports[0].error as Error).message).toBe('no inspector session');
    fail = false;
    for (let i = 0; i < 20; i++) reclaimer.opened();
    for (let i = 0; i < 20; i++) reclaimer.closed();
    await waitFor(() => reports.length === 2, 'the next collection');
    expect(reports[1].error).toBeUndefined();
    reclaimer.dispose();
  });

  it('should refuse bad settings', () => {
    expect(() => createLeaveReclaimer({ minDrop: 0 })).toThrow(RangeError);
    expect(() => createLeaveReclaimer({ settleMs: -1 })).toThrow(RangeError);
    expect(() => createLeaveReclaimer({ maxWaitMs: -1 })).toThrow(RangeError);
  });

  it('should load, and start, on a Node built without the inspector; only the default collection fails', async () => {
    await jest.isolateModulesAsync(async () => {
      jest.doMock('node:inspector', () => {
        throw new Error('Inspector is not available');
      });
      const isolated = await import('../../../gateway/http/createLeaveReclaimer.js');
      const reclaimer = isolated.createLeaveReclaimer();
      reclaimer.opened();
      reclaimer.closed();
      reclaimer.dispose();
      await expect(isolated.collectAllGarbage()).rejects.toThrow('Inspector is not available');
    });
    jest.dontMock('node:inspector');
  });
});

describe('collectAllGarbage', () => {
  it('should collect garbage V8 had not collected yet', async () => {
    // Made and dropped inside a function: nothing refers to it once it returns.
    const made = (() => Array.from({ length: 200_000 }, (_, n) => ({ n, text: `item ${n}` })).length)();
    expect(made).toBe(200_000);
    const before = process.memoryUsage().heapUsed;
    await collectAllGarbage();
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 5 * 2 ** 20);
  });
});
