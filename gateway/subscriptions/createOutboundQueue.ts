/**
 * The bounded outbound queue of one client connection (docs/architecture.md "Slow clients"). What a
 * connection has written but the network has not taken yet is counted in messages (write callbacks not
 * yet called) and bytes (the larger of our own count and the socket's `bufferedAmount`, which also holds
 * the protocol's own messages). A write that would go past either bound cuts the client off instead:
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
   * Messages written but not yet taken by the network, beyond which the client is cut off.
   * @default 1000
   */
  maxMessages?: number;
  /**
   * Bytes written but not yet taken by the network, beyond which the client is cut off. A single
   * message larger than this still goes out when nothing else is waiting.
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
  /** Messages and bytes waiting when the client was cut off. */
  pendingMessages: number;
  pendingBytes: number;
}

export interface OutboundQueueOptions extends OutboundLimits {
  socket: OutboundSocket;
  /** Called once per message the network took. A throw is ignored. @default none */
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
  let pendingMessages = 0;
  let pendingBytes = 0;
  let cutOff = false;

  return {
    send(data, bytes) {
      if (cutOff || socket.readyState !== socket.OPEN) return false;
      const waiting = Math.max(pendingBytes, socket.bufferedAmount);
      if (pendingMessages > 0 && (pendingMessages >= maxMessages || waiting + bytes > maxBytes)) {
        cutOff = true;
        const info = { pendingMessages, pendingBytes: waiting };
        // The close frame queues behind what is already written: a client that reads again gets every
        // message it was sent, then the reason; one that never reads is dropped by the ws close timeout.
        socket.close(SLOW_CLIENT_CLOSE_CODE, SLOW_CLIENT_CLOSE_REASON);
        if (onCutOff) quietly(() => onCutOff(info));
        return false;
      }
      pendingMessages += 1;
      pendingBytes += bytes;
      socket.send(data, () => {
        pendingMessages -= 1;
        pendingBytes -= bytes;
        if (onDelivered) quietly(() => onDelivered(bytes));
      });
      return true;
    },
    get pendingMessages() {
      return pendingMessages;
    },
    get pendingBytes() {
      return pendingBytes;
    },
    get cutOff() {
      return cutOff;
    },
  };
}
