/**
 * The bounded outbound queue of one client connection (docs/architecture.md "Slow clients"). What a
 * connection has written but the kernel has not taken yet is its stream's `writableLength` (bytes, the
 * protocol's own messages included); the messages in it are our latest writes whose sizes add up to no
 * more than that (write callbacks come a tick late, so counting them would mistake a burst of events
 * for a slow client, and a callback per message costs more than the write). A write that would go past
 * either bound cuts the client off instead: the socket is closed with 1013 "try again later" and a
 * reason telling it to reconnect and resume from the last cursor it received, and it is destroyed
 * `cutOffGraceMs` after the cut-off when its backlog has not reached the kernel by then, so a client
 * that never reads does not hold its backlog and its socket until the websocket close timeout; once the
 * close frame reached the kernel, the connection lingers (at most `cutOffGraceMs` more) until the
 * client, reading its last bytes, closes it.
 * A slow client therefore costs at most its bound in memory and never delays anyone else: writes never
 * wait, they are either queued within the bound or refused.
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
   * Bytes written but not yet taken by the kernel, beyond which the client is cut off. A single
   * message larger than this still goes out when nothing else is waiting.
   * @default 4194304 (4 MiB)
   */
  maxBytes?: number;
  /**
   * After a cut-off, how long a client that reads again has to take its backlog and the close frame
   * (then it sees 1013 and the reason) before its socket is destroyed (it sees 1006; graphql-ws clients
   * retry both). Once the close frame reached the kernel, the client has as long again to read it and
   * close the connection itself, which it usually does at once.
   * @default 1000
   */
  cutOffGraceMs?: number;
}

export const DEFAULT_OUTBOUND_LIMITS: Required<OutboundLimits> = { maxMessages: 1000, maxBytes: 4 * 1024 * 1024, cutOffGraceMs: 1000 };

/** The part of a connection the queue needs: the websocket's state and close, its byte stream's writes. */
export interface OutboundSocket {
  /** False once the websocket is closing or closed. */
  readonly open: boolean;
  /** Bytes written but not yet taken by the kernel (a `net.Socket`'s `writableLength`). */
  readonly writableLength: number;
  /** Writes one complete websocket frame to the byte stream. */
  write(frame: Uint8Array): void;
  /** Starts the closing handshake (the close frame queues behind what is written). */
  close(code: number, reason: string): void;
  /**
   * Calls `listener` once everything written so far, close frame included, reached the kernel (and ends
   * the byte stream: the client's writes are still read).
   */
  onFlushed(listener: () => void): void;
  /** Releases the connection at once (a no-op once it is closed). */
  destroy(): void;
}

/** What happened to a client, for metrics and logs. */
export interface OutboundCutOff {
  /** Messages (estimated) and bytes waiting when the client was cut off. */
  pendingMessages: number;
  pendingBytes: number;
}

export interface OutboundQueueOptions extends OutboundLimits {
  socket: OutboundSocket;
  /**
   * Called once per write to the socket with its bytes and the messages it held (a cut-off client's
   * waiting ones are also in `onCutOff`). A throw is ignored.
   * @default none
   */
  onDelivered?(bytes: number, messages: number): void;
  /** Called once when the client is cut off. A throw is ignored. @default none */
  onCutOff?(info: OutboundCutOff): void;
}

export interface OutboundQueue {
  /**
   * Writes `frame` (`messages` complete websocket frames in one buffer, one by default) unless the
   * connection is closed or this write would pass a bound, which cuts the client off (a write of 0
   * messages, a keep-alive ping, never does; its bytes count like any). Returns whether it was written.
   */
  send(frame: Uint8Array, messages?: number): boolean;
  readonly pendingMessages: number;
  readonly pendingBytes: number;
  /** True once the client was cut off. */
  readonly cutOff: boolean;
  /**
   * Cuts the client off as too slow (1013, as at a bound) if it has a backlog: bytes written that the
   * kernel has not taken. The keep-alive calls it for a connection that did not answer its ping, whose
   * pong may sit behind that backlog. Returns whether the client is cut off (now or before).
   */
  cutOffIfBehind(): boolean;
}

const quietly = (fn: () => void) => {
  try {
    fn();
  } catch {
    // observers must not break delivery
  }
};

export function createOutboundQueue(options: OutboundQueueOptions): OutboundQueue {
  return new BoundedQueue(options);
}

/**
 * A class rather than closures: a gateway holds one per connection, tens of thousands of them, and its
 * methods are shared on the prototype instead of a dozen functions per connection.
 */
class BoundedQueue implements OutboundQueue {
  private readonly socket: OutboundSocket;
  private readonly maxMessages: number;
  private readonly maxBytes: number;
  private readonly cutOffGraceMs: number;
  private readonly onDelivered: OutboundQueueOptions['onDelivered'];
  private readonly onCutOff: OutboundQueueOptions['onCutOff'];
  // Our writes still (possibly) in the stream's buffer, oldest first: their sizes and message counts,
  // and the sums of both. Empty (and never allocated) while the client keeps up: the usual delivery is
  // one length check and a write.
  private sizes: number[] | undefined = undefined;
  private counts: number[] | undefined = undefined;
  private head = 0;
  private total = 0;
  private messagesTotal = 0;
  private isCutOff = false;

  constructor(options: OutboundQueueOptions) {
    const {
      socket,
      maxMessages = DEFAULT_OUTBOUND_LIMITS.maxMessages,
      maxBytes = DEFAULT_OUTBOUND_LIMITS.maxBytes,
      cutOffGraceMs = DEFAULT_OUTBOUND_LIMITS.cutOffGraceMs,
      onDelivered,
      onCutOff,
    } = options;
    this.socket = socket;
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
    this.cutOffGraceMs = cutOffGraceMs;
    this.onDelivered = onDelivered;
    this.onCutOff = onCutOff;
  }

  send(frame: Uint8Array, messages = 1): boolean {
    const { socket } = this;
    if (this.isCutOff || !socket.open) return false;
    const buffered = socket.writableLength;
    const bytes = frame.length;
    if (buffered > 0) {
      this.settle(buffered);
      // A write without messages (a keep-alive ping, 2 bytes) never cuts a client off: near its bound,
      // the ping would otherwise be what drops a client that is still reading.
      if (messages > 0 && (this.pending() + messages > this.maxMessages || buffered + bytes > this.maxBytes)) {
        this.cut(buffered);
        return false;
      }
      this.remember(bytes, messages);
    } else if (this.sizes) this.forget();
    socket.write(frame);
    // A write the kernel did not take at once is what the bound counts from now on.
    if (buffered === 0 && socket.writableLength > 0) this.remember(bytes, messages);
    const { onDelivered } = this;
    if (onDelivered) quietly(() => onDelivered(bytes, messages));
    return true;
  }

  get pendingMessages(): number {
    this.settle(this.socket.writableLength);
    return this.pending();
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  get cutOff(): boolean {
    return this.isCutOff;
  }

  cutOffIfBehind(): boolean {
    if (this.isCutOff) return true;
    const buffered = this.socket.writableLength;
    if (buffered === 0 || !this.socket.open) return false;
    this.settle(buffered);
    this.cut(buffered);
    return true;
  }

  private pending(): number {
    return this.sizes ? this.messagesTotal : 0;
  }

  private remember(bytes: number, messages: number): void {
    (this.sizes ??= []).push(bytes);
    (this.counts ??= []).push(messages);
    this.total += bytes;
    this.messagesTotal += messages;
  }

  private forget(): void {
    this.sizes = undefined;
    this.counts = undefined;
    this.head = 0;
    this.total = 0;
    this.messagesTotal = 0;
  }

  /** Forgets writes the kernel has taken: the oldest ones, until the rest fit in `buffered`. */
  private settle(buffered: number): void {
    const { sizes, counts } = this;
    if (!sizes || !counts) return;
    if (buffered === 0) return this.forget();
    while (this.head < sizes.length && this.total > buffered) {
      this.total -= sizes[this.head];
      this.messagesTotal -= counts[this.head++];
    }
    if (this.head > 1024) {
      sizes.splice(0, this.head);
      counts.splice(0, this.head);
      this.head = 0;
    }
  }

  private cut(buffered: number): void {
    const { socket, onCutOff } = this;
    this.isCutOff = true;
    const info = { pendingMessages: this.pending(), pendingBytes: buffered };
    // The close frame queues behind what is already written: a client that reads again within the grace
    // gets every message it was sent, then the reason. One that does not is dropped then, not after the
    // websocket close timeout (30 s), so its backlog is freed promptly.
    socket.close(SLOW_CLIENT_CLOSE_CODE, SLOW_CLIENT_CLOSE_REASON);
    const grace = setTimeout(() => socket.destroy(), this.cutOffGraceMs);
    grace.unref();
    socket.onFlushed(() => {
      clearTimeout(grace);
      // Everything reached the kernel, but the client has yet to read the last of it (up to its receive
      // buffer). Closing now would answer what it sends meanwhile (pongs to the pings in its backlog, its
      // own close frame) with a reset, and a reset discards what it had not read: the close frame too, so
      // it would see an abnormal closure. The connection lingers until the client closes it, at most
      // one grace more.
      const linger = setTimeout(() => socket.destroy(), this.cutOffGraceMs);
      linger.unref();
    });
    if (onCutOff) quietly(() => onCutOff(info));
  }
}
