/**
 * createFrameBatcher writes at most `maxWritesPerTurn` connections per turn: a burst to many clients
 * goes out over several turns, with I/O between them, and a connection still waiting for its slice when
 * the next event comes gets both messages in its one write.
 */
import { createFrameBatcher, type BatchTarget } from '../../../gateway/http/createFrameBatcher.js';

const TAIL = Buffer.from('}');

/** A connection recording each write as the text messages it held. */
function connection() {
  const writes: string[][] = [];
  const target: BatchTarget = {
    send(frame, messages) {
      const texts: string[] = [];
      const buffer = Buffer.from(frame);
      for (let offset = 0; offset < buffer.length;) {
        const length = buffer[offset + 1]; // short test messages: 7-bit lengths
        texts.push(buffer.toString('utf8', offset + 2, offset + 2 + length));
        offset += 2 + length;
      }
      expect(texts).toHaveLength(messages);
      writes.push(texts);
      return true;
    },
  };
  return { target, writes };
}

/** A batcher whose turns run when the test says so. */
function harness(maxWritesPerTurn: number) {
  const turns: Array<() => void> = [];
  const batcher = createFrameBatcher({ tail: TAIL, maxWritesPerTurn, schedule: (flush) => void turns.push(flush) });
  const runTurn = () => {
    const turn = turns.shift();
    if (!turn) throw new Error('no turn scheduled');
    turn();
  };
  return { batcher, turns, runTurn };
}

const body = (text: string) => Buffer.from(text);
const head = Buffer.from('{"n":');

describe('createFrameBatcher slices', () => {
  it('should write at most maxWritesPerTurn connections per turn, in the order they were queued', () => {
    const { batcher, turns, runTurn } = harness(2);
    const connections = Array.from({ length: 5 }, connection);
    const writers = connections.map((c) => batcher.writer(c.target));
    for (const writer of writers) writer.queue(head, body('1'));
    expect(turns).toHaveLength(1);

    runTurn();
    expect(connections.map((c) => c.writes.length)).toEqual([1, 1, 0, 0, 0]);
    expect(turns).toHaveLength(1);
    runTurn();
    expect(connections.map((c) => c.writes.length)).toEqual([1, 1, 1, 1, 0]);
    runTurn();
    expect(connections.map((c) => c.writes)).toEqual(Array.from({ length: 5 }, () => [['{"n":1}']]));
    expect(turns).toHaveLength(0);
  });

  it('should merge the next event into the write of a connection still waiting for its slice', () => {
    const { batcher, turns, runTurn } = harness(2);
    const connections = Array.from({ length: 3 }, connection);
    const writers = connections.map((c) => batcher.writer(c.target));
    for (const writer of writers) writer.queue(head, body('1'));
    runTurn(); // connections 0 and 1 written; 2 waits
    for (const writer of writers) writer.queue(head, body('2'));
    runTurn(); // 2 (both events in one write), then 0
    runTurn(); // 1
    expect(turns).toHaveLength(0);
    expect(connections[0].writes).toEqual([['{"n":1}'], ['{"n":2}']]);
    expect(connections[1].writes).toEqual([['{"n":1}'], ['{"n":2}']]);
    expect(connections[2].writes).toEqual([['{"n":1}', '{"n":2}']]);
  });

  it('should write a connection once when its transport flushed it before its slice', () => {
    const { batcher, turns, runTurn } = harness(1);
    const [a, b] = [connection(), connection()];
    const [writerA, writerB] = [batcher.writer(a.target), batcher.writer(b.target)];
    writerA.queue(head, body('1'));
    writerB.queue(head, body('1'));
    writerB.flush(); // e.g. ws writing `complete` for b
    writerB.queue(head, body('2'));
    runTurn(); // a
    runTurn(); // b's first entry: nothing left to write
    runTurn(); // b's second entry
    expect(turns).toHaveLength(0);
    expect(a.writes).toEqual([['{"n":1}']]);
    expect(b.writes).toEqual([['{"n":1}'], ['{"n":2}']]);
  });

  it('should keep writing the other connections when one write throws', () => {
    const { batcher, turns, runTurn } = harness(10);
    const failing = batcher.writer({
      send: () => {
        throw new Error('socket gone');
      },
    });
    const ok = connection();
    failing.queue(head, body('1'));
    batcher.writer(ok.target).queue(head, body('1'));
    expect(runTurn).toThrow('socket gone');
    expect(turns).toHaveLength(1);
    runTurn();
    expect(ok.writes).toEqual([['{"n":1}']]);
  });

  it('should let a ping ride along first in the next write, schedule nothing for it, and write it alone on flush', () => {
    const { batcher, turns, runTurn } = harness(10);
    const writes: Array<{ bytes: Buffer; messages: number }> = [];
    const writer = batcher.writer({ send: (frame, messages) => writes.push({ bytes: Buffer.from(frame), messages }) > 0 });
    const ping = Buffer.from([0x89, 0x00]);
    writer.piggyback(ping);
    expect(turns).toHaveLength(0);
    writer.queue(head, body('1'));
    writer.queue(head, body('2'));
    runTurn();
    const text = (n: string) => [0x81, 7, ...Buffer.from(`{"n":${n}}`)];
    expect(writes).toEqual([{ bytes: Buffer.from([0x89, 0x00, ...text('1'), ...text('2')]), messages: 2 }]);

    writer.piggyback(ping);
    writer.queue(head, body('3'));
    writer.flushPiggyback(); // the heartbeat's deadline with a message queued: it waits for that turn
    expect(writes).toHaveLength(1);
    writer.flush(); // e.g. ws writing `complete`: the ping goes with it
    writer.piggyback(ping);
    writer.flushPiggyback(); // the heartbeat's deadline: alone
    writer.flushPiggyback(); // nothing left
    writer.flush();
    runTurn(); // the entry of message 3: already written
    expect(writes.slice(1)).toEqual([
      { bytes: Buffer.from([0x89, 0x00, ...text('3')]), messages: 1 },
      { bytes: ping, messages: 0 },
    ]);
  });

  it('should call whenWritten back once every connection queued before it was written, over several slices', async () => {
    const { batcher, runTurn } = harness(2);
    const connections = Array.from({ length: 3 }, connection);
    const writers = connections.map((c) => batcher.writer(c.target));
    const calls: string[] = [];
    batcher.whenWritten(() => void calls.push('idle'));
    for (const writer of writers) writer.queue(head, body('1'));
    batcher.whenWritten(() => void calls.push('first event'));
    writers[0].queue(head, body('2')); // rides in connection 0's pending write
    runTurn(); // 0 and 1
    for (const writer of writers) writer.queue(head, body('3')); // 2 still waits: events 1 and 3 in one write
    batcher.whenWritten(() => void calls.push('second event'));
    expect(calls).toEqual([]);
    await Promise.resolve();
    expect(calls).toEqual(['idle']);
    runTurn(); // 2, then 0
    expect(calls).toEqual(['idle', 'first event']);
    runTurn(); // 1
    expect(calls).toEqual(['idle', 'first event', 'second event']);
    expect(connections.map((c) => c.writes)).toEqual([[['{"n":1}', '{"n":2}'], ['{"n":3}']], [['{"n":1}'], ['{"n":3}']], [['{"n":1}', '{"n":3}']]]);
  });

  it('should refuse a slice size below one', () => {
    expect(() => createFrameBatcher({ tail: TAIL, maxWritesPerTurn: 0 })).toThrow(RangeError);
  });
});
