/**
 * The per-connection bound against a stand-in socket whose buffer the test controls (the websocket
 * behaviour itself is proven in fanout.test.ts).
 */
import { createOutboundQueue, SLOW_CLIENT_CLOSE_CODE, SLOW_CLIENT_CLOSE_REASON, type OutboundCutOff } from '../../../gateway/subscriptions/index.js';

const frame = (text: string) => Buffer.from(text);

function fakeSocket() {
  const socket = {
    open: true,
    /** Bytes the "kernel" has not taken. */
    writableLength: 0,
    sent: [] as string[],
    closed: undefined as { code: number; reason: string } | undefined,
    flushed: [] as Array<() => void>,
    destroyed: false,
    write(data: Uint8Array) {
      socket.sent.push(Buffer.from(data).toString());
      socket.writableLength += data.length;
    },
    close(code: number, reason: string) {
      socket.closed = { code, reason };
      socket.open = false;
    },
    onFlushed(listener: () => void) {
      socket.flushed.push(listener);
    },
    destroy() {
      socket.destroyed = true;
    },
    /** The kernel takes everything. */
    drain() {
      socket.writableLength = 0;
      for (const listener of socket.flushed.splice(0)) listener();
    },
  };
  return socket;
}

describe('createOutboundQueue', () => {
  afterEach(() => jest.useRealTimers());

  it('should cut a client off with 1013 and a resume hint once its bytes pass the bound', () => {
    const socket = fakeSocket();
    const cutOffs: OutboundCutOff[] = [];
    const queue = createOutboundQueue({ socket, maxBytes: 10, onCutOff: (info) => void cutOffs.push(info) });
    expect(queue.send(frame('12345'))).toBe(true);
    expect(queue.send(frame('12345'))).toBe(true);
    expect(queue.send(frame('1'))).toBe(false);
    expect(socket.closed).toEqual({ code: SLOW_CLIENT_CLOSE_CODE, reason: SLOW_CLIENT_CLOSE_REASON });
    expect(SLOW_CLIENT_CLOSE_REASON.length).toBeLessThanOrEqual(123);
    expect(cutOffs).toEqual([{ pendingMessages: 2, pendingBytes: 10 }]);
    expect(queue.cutOff).toBe(true);
    expect(queue.send(frame('1'))).toBe(false);
    expect(socket.sent).toHaveLength(2);
  });

  it('should cut a client off on request only when it has a backlog (a missed pong behind it)', () => {
    const socket = fakeSocket();
    const cutOffs: OutboundCutOff[] = [];
    const queue = createOutboundQueue({ socket, maxBytes: 1000, onCutOff: (info) => void cutOffs.push(info) });
    queue.send(frame('12345'));
    socket.drain();
    // Nothing waits: the missing pong is not ours to explain, the caller terminates the connection.
    expect(queue.cutOffIfBehind()).toBe(false);
    expect(socket.closed).toBeUndefined();
    queue.send(frame('12345'));
    queue.send(frame('678'));
    expect(queue.cutOffIfBehind()).toBe(true);
    expect(socket.closed).toEqual({ code: SLOW_CLIENT_CLOSE_CODE, reason: SLOW_CLIENT_CLOSE_REASON });
    expect(cutOffs).toEqual([{ pendingMessages: 2, pendingBytes: 8 }]);
    // Once cut off it stays so, and is reported once.
    expect(queue.cutOffIfBehind()).toBe(true);
    expect(cutOffs).toHaveLength(1);
    expect(queue.send(frame('1'))).toBe(false);
  });

  it('should let a write without messages (a keep-alive ping) through even past the bound, and count its bytes', () => {
    const socket = fakeSocket();
    const queue = createOutboundQueue({ socket, maxBytes: 10 });
    expect(queue.send(frame('123456789'))).toBe(true);
    expect(queue.send(frame('PP'), 0)).toBe(true);
    expect(socket.closed).toBeUndefined();
    expect(queue.pendingMessages).toBe(1);
    expect(queue.pendingBytes).toBe(11);
    // A message is still held to the bound.
    expect(queue.send(frame('1'))).toBe(false);
    expect(socket.sent).toEqual(['123456789', 'PP']);
  });

  it('should cut a client off once its messages pass the bound', () => {
    const socket = fakeSocket();
    const queue = createOutboundQueue({ socket, maxMessages: 2 });
    expect(queue.send(frame('a')) && queue.send(frame('b'))).toBe(true);
    expect(queue.pendingMessages).toBe(2);
    expect(queue.send(frame('c'))).toBe(false);
    expect(socket.closed?.code).toBe(1013);
  });

  it('should never cut off a client that keeps up, however many messages it gets', () => {
    const socket = fakeSocket();
    const delivered: number[] = [];
    const queue = createOutboundQueue({ socket, maxMessages: 2, maxBytes: 4, onDelivered: (bytes) => void delivered.push(bytes) });
    for (let i = 0; i < 100; i++) {
      expect(queue.send(frame('ab'))).toBe(true);
      socket.drain();
    }
    expect(queue.pendingMessages).toBe(0);
    expect(queue.pendingBytes).toBe(0);
    expect(delivered).toHaveLength(100);
    expect(socket.closed).toBeUndefined();
  });

  it('should forget the messages the kernel took even before their callbacks run', () => {
    const socket = fakeSocket();
    const queue = createOutboundQueue({ socket, maxMessages: 3 });
    queue.send(frame('aa'));
    queue.send(frame('bb'));
    socket.writableLength = 2; // the first one left
    expect(queue.pendingMessages).toBe(1);
    expect(queue.send(frame('cc')) && queue.send(frame('dd'))).toBe(true);
    expect(queue.send(frame('ee'))).toBe(false);
  });

  it('should let one message larger than the bound through when nothing waits', () => {
    const socket = fakeSocket();
    const queue = createOutboundQueue({ socket, maxBytes: 4 });
    expect(queue.send(frame('a'.repeat(100)))).toBe(true);
    expect(socket.closed).toBeUndefined();
  });

  it('should let a cut-off socket whose close frame reached the kernel linger one grace for the client to read it, then destroy it', () => {
    jest.useFakeTimers();
    const socket = fakeSocket();
    const queue = createOutboundQueue({ socket, maxMessages: 1, cutOffGraceMs: 60_000 });
    queue.send(frame('a'));
    expect(queue.send(frame('b'))).toBe(false);
    jest.advanceTimersByTime(30_000);
    socket.drain();
    // The grace timer is gone: the linger counts from the flush.
    jest.advanceTimersByTime(59_999);
    expect(socket.destroyed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(socket.destroyed).toBe(true);
  });

  it('should destroy a cut-off socket that never reads after the grace, not after the close timeout', () => {
    jest.useFakeTimers();
    const socket = fakeSocket();
    const queue = createOutboundQueue({ socket, maxMessages: 1, cutOffGraceMs: 500 });
    queue.send(frame('a'));
    expect(queue.send(frame('b'))).toBe(false);
    jest.advanceTimersByTime(499);
    expect(socket.destroyed).toBe(false);
    jest.advanceTimersByTime(1);
    expect(socket.destroyed).toBe(true);
  });

  it('should write nothing to a socket that is not open, and survive throwing observers', () => {
    const socket = fakeSocket();
    const queue = createOutboundQueue({
      socket,
      maxMessages: 1,
      onDelivered: () => {
        throw new Error('metrics down');
      },
      onCutOff: () => {
        throw new Error('metrics down');
      },
    });
    expect(queue.send(frame('a'))).toBe(true);
    socket.drain();
    expect(queue.send(frame('b'))).toBe(true);
    expect(queue.send(frame('c'))).toBe(false);
    expect(socket.closed?.code).toBe(1013);
    socket.drain();
    const closed = fakeSocket();
    closed.open = false;
    expect(createOutboundQueue({ socket: closed }).send(frame('a'))).toBe(false);
    expect(closed.sent).toEqual([]);
  });

  it('should count every message of a batch against the bound', () => {
    const socket = fakeSocket();
    const delivered: Array<[number, number]> = [];
    const queue = createOutboundQueue({ socket, maxMessages: 5, onDelivered: (bytes, messages) => void delivered.push([bytes, messages]) });
    expect(queue.send(frame('abc'), 3)).toBe(true);
    expect(queue.pendingMessages).toBe(3);
    expect(queue.send(frame('de'), 2)).toBe(true);
    expect(queue.pendingMessages).toBe(5);
    expect(delivered).toEqual([
      [3, 3],
      [2, 2],
    ]);
    socket.writableLength = 2; // the first batch left
    expect(queue.pendingMessages).toBe(2);
    expect(queue.send(frame('fgh'), 4)).toBe(false);
    expect(socket.closed?.code).toBe(1013);
  });
});
