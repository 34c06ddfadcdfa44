/**
 * createLeaveReclaimer: one memory-reducing collection after a mass leave of websocket clients, once the
 * closes have settled; none for the ordinary coming and going of clients. And the collection it uses by
 * default really collects (V8 through the in-process inspector session).
 */
import { collectAllGarbage, createLeaveReclaimer, type ReclaimInfo } from '../../../gateway/http/createLeaveReclaimer.js';
import { waitFor } from '../../support/asyncWait.js';

describe('createLeaveReclaimer', () => {
  function harness() {
    const collections: number[] = [];
    const reports: ReclaimInfo[] = [];
    let connections = 0;
    const reclaimer = createLeaveReclaimer({
      minDrop: 500,
      settleMs: 20,
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

  it('should refuse bad settings', () => {
    expect(() => createLeaveReclaimer({ minDrop: 0 })).toThrow(RangeError);
    expect(() => createLeaveReclaimer({ settleMs: -1 })).toThrow(RangeError);
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
