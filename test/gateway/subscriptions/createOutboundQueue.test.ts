/**
 * The per-connection bound against a stand-in socket whose buffer the test controls (the websocket
 * behaviour itself is proven in fanout.test.ts).
 */
import { createOutboundQueue, SLOW_CLIENT_CLOSE_CODE, SLOW_CLIENT_CLOSE_REASON, type OutboundCutOff } from '../../../gateway/subscriptions/index.js';

function fakeSocket() {
  const socket = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount: 0,
    sent: [] as string[],
    callbacks: [] as Array<() => void>,
    closed: undefined as { code: number; reason: string } | undefined,
    send(data: string, callback: () => void) {
      socket.sent.push(data);
      socket.bufferedAmount += data.length;
      socket.callbacks.push(callback);
    },
    close(code: number, reason: string) {
      socket.closed = { code, reason };
      socket.readyState = 2;
    },
    /** The kernel takes everything. */
    drain() {
      socket.bufferedAmount = 0;
      for (const callback of socket.callbacks.splice(0)) callback();
    },
  };
  return socket;
}

describe('createOutboundQueue', () => {
  it('should cut a client off with 1013 and a resume hint once its bytes pass the bound', () => {
    const socket = fakeSocket();
    const cutOffs: OutboundCutOff[] = [];
    const queue = createOutboundQueue({ socket, maxBytes: 10, onCutOff: (info) => void cutOffs.push(info) });
    expect(queue.send('12345', 5)).toBe(true);
    expect(queue.send('12345', 5)).toBe(true);
    expect(queue.send('1', 1)).toBe(false);
    expect(socket.closed).toEqual({ code: SLOW_CLIENT_CLOSE_CODE, reason: SLOW_CLIENT_CLOSE_REASON });
    expect(SLOW_CLIENT_CLOSE_REASON.length).toBeLessThanOrEqual(123);
    expect(cutOffs).toEqual([{ pendingMessages: 2, pendingBytes: 10 }]);
    expect(queue.cutOff).toBe(true);
    expect(queue.send('1', 1)).toBe(false);
    expect(socket.sent).toHaveLength(2);
  });

  it('should cut a client off once its messages pass the bound', () => {
    const socket = fakeSocket();
    const queue = createOutboundQueue({ socket, maxMessages: 2 });
    expect(queue.send('a', 1) && queue.send('b', 1)).toBe(true);
    expect(queue.pendingMessages).toBe(2);
    expect(queue.send('c', 1)).toBe(false);
    expect(socket.closed?.code).toBe(1013);
  });

  it('should never cut off a client that keeps up, however many messages it gets', () => {
    const socket = fakeSocket();
    const delivered: number[] = [];
    const queue = createOutboundQueue({ socket, maxMessages: 2, maxBytes: 4, onDelivered: (bytes) => void delivered.push(bytes) });
    for (let i = 0; i < 100; i++) {
      expect(queue.send('ab', 2)).toBe(true);
      socket.drain();
    }
    expect(queue.pendingMessages).toBe(0);
    expect(queue.pendingBytes).toBe(0);
    expect(delivered).toHaveLength(100);
  });

  it('should forget the messages the kernel took even before their callbacks run', () => {
    const socket = fakeSocket();
    const queue = createOutboundQueue({ socket, maxMessages: 3 });
    queue.send('aa', 2);
    queue.send('bb', 2);
    socket.bufferedAmount = 2; // the first one left; no callback yet
    expect(queue.pendingMessages).toBe(1);
    expect(queue.send('cc', 2) && queue.send('dd', 2)).toBe(true);
  });

  it('should let one message larger than the bound through when nothing waits', () => {
    const socket = fakeSocket();
    const queue = createOutboundQueue({ socket, maxBytes: 4 });
    expect(queue.send('a'.repeat(100), 100)).toBe(true);
    expect(socket.closed).toBeUndefined();
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
    expect(queue.send('a', 1)).toBe(true);
    socket.drain();
    expect(queue.send('b', 1)).toBe(true);
    expect(queue.send('c', 1)).toBe(false);
    expect(socket.closed?.code).toBe(1013);
    const closed = fakeSocket();
    closed.readyState = 3;
    expect(createOutboundQueue({ socket: closed }).send('a', 1)).toBe(false);
    expect(closed.sent).toEqual([]);
  });
});
