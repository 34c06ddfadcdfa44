/**
 * The bounded outbound queue of one client connection (docs/architecture.md "Slow clients"). What a
 * connection has written but the kernel has not taken yet is the socket's `bufferedAmount` (bytes, the
 * protocol's own messages included); the messages in it are our latest writes whose sizes add up to no
 * more than that (write callbacks come a tick late, so counting them would mistake a burst of events
 * for a slow client). A write that would go past either bound cuts the client off instead:
 * the socket is closed with 1013 "try again later" and a reason telling it to reconnect and resume from
 * the last cursor it received. A slow client therefore costs at most its bound in memory and never
 * delays anyone else: writes never wait, they are either queued within the bound or refused.
 */
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { closeCodeOf } from '../../core/errors/statusOf.js';

/** RFC 6455 1013 "try again later": graphql-ws clients retry it (it is not one of their fatal codes). */
export const SLOW_CLIENT_CLOSE_CODE = closeCodeOf(ErrorCode.SERVICE_UNAVAILABLE);
/** At most 123 bytes (a close frame's limit). */
export const SLOW_CLIENT_CLOSE_REASON = 'client too slow: reconnect and resume from your last cursor';

export interface OutboundLimits {
  /**
   * Messages written but not yet taken by the kernel, beyond which the client is cut off.
   * @default 1000
   */
  maxMessages?: number;
  /**
   * Bytes written but not yet taken by the kernel (`bufferedAmount`), beyond which the client is cut
   * off. A single message larger than this still goes out when nothing else is waiting.
   * @default 4194304 (4 MiB)
   */
  maxBytes?: number;
}

export const DEFAULT_OUTBOUND_LIMITS: Required<OutboundLimits> = { maxMessages: 1000, maxBytes: 4 * 1024 * 1024 };

/** The part of a websocket the queue needs (the `ws` package's `WebSocket` fits). */
export interface OutboundSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly bufferedAmount: number;
  send(data: string, callback: (error?: Error) => void): void;
  close(code: number, reason: string): void;
}

/** What happened to a client, for metrics and logs. */
export interface OutboundCutOff {
  /** Messages (estimated) and bytes waiting when the client was cut off. */
  pendingMessages: number;
  pendingBytes: number;
}

export interface OutboundQueueOptions extends OutboundLimits {
  socket: OutboundSocket;
  /** Called once per message the kernel took. A throw is ignored. @default none */
  onDelivered?(bytes: number): void;
  /** Called once when the client is cut off. A throw is ignored. @default none */
  onCutOff?(info: OutboundCutOff): void;
}

export interface OutboundQueue {
  /**
   * Writes `data` (`bytes` long in UTF-8) unless the connection is closed or this write would pass a
   * bound, which cuts the client off. Returns whether it was written.
   */
  send(data: string, bytes: number): boolean;
  readonly pendingMessages: number;
  readonly pendingBytes: number;
  /** True once the client was cut off. */
  readonly cutOff: boolean;
}

const quietly = (fn: () => void) => {
  try {
    fn();
  } catch {
    // observers must not break delivery
  }
};

export function createOutboundQueue(options: OutboundQueueOptions): OutboundQueue {
  const { socket, maxMessages = DEFAULT_OUTBOUND_LIMITS.maxMessages, maxBytes = DEFAULT_OUTBOUND_LIMITS.maxBytes, onDelivered, onCutOff } = options;
  // Sizes of our writes still (possibly) in the socket's buffer, oldest first, and their sum.
  const sizes: number[] = [];
  let head = 0;
  let total = 0;
  let cutOff = false;
  /** Forgets writes the kernel has taken: the oldest ones, until the rest fit in `bufferedAmount`. */
  const settle = (buffered: number) => {
    while (head < sizes.length && total > buffered) total -= sizes[head++];
    if (head === sizes.length || head > 1024) {
      sizes.splice(0, head);
      head = 0;
    }
  };

  return {
    send(data, bytes) {
      if (cutOff || socket.readyState !== socket.OPEN) return false;
      const buffered = socket.bufferedAmount;
      settle(buffered);
      const pendingMessages = sizes.length - head;
      if (buffered > 0 && (pendingMessages >= maxMessages || buffered + bytes > maxBytes)) {
        cutOff = true;
        const info = { pendingMessages, pendingBytes: buffered };
        // The close frame queues behind what is already written: a client that reads again gets every
        // message it was sent, then the reason; one that never reads is dropped by the ws close timeout.
        socket.close(SLOW_CLIENT_CLOSE_CODE, SLOW_CLIENT_CLOSE_REASON);
        if (onCutOff) quietly(() => onCutOff(info));
        return false;
      }
      sizes.push(bytes);
      total += bytes;
      socket.send(data, () => {
        if (onDelivered) quietly(() => onDelivered(bytes));
      });
      return true;
    },
    get pendingMessages() {
      settle(socket.bufferedAmount);
      return sizes.length - head;
    },
    get pendingBytes() {
      return socket.bufferedAmount;
    },
    get cutOff() {
      return cutOff;
    },
  };
}
