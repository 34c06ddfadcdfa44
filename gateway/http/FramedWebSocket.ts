/**
 * The `ws` WebSocket the gateway's websocket server creates (`WebSocketServer`'s documented `WebSocket`
 * option). Subscription messages are written to the connection's TCP socket beside `ws`, batched per
 * event loop turn (`createFrameBatcher`); every message `ws` writes itself (graphql-ws `complete`,
 * `error`, query results, pings, pongs, the close frame) first flushes that batch, so a client never
 * gets `complete` or a close frame before the last `next` of its subscription.
 */
import { WebSocket } from 'ws';
import type { FrameWriter } from './createFrameBatcher.js';
import type { OutboundQueue } from '../subscriptions/createOutboundQueue.js';
import type { HeartbeatSocket } from './createHeartbeat.js';

/** An unmasked ping with no payload, as `ws` sends `ping()` (RFC 6455 §5.5.2). */
const PING_FRAME = Buffer.from([0x89, 0x00]);

type BufferLike = Parameters<WebSocket['send']>[0];
type SendOptions = Parameters<WebSocket['send']>[1];

export class FramedWebSocket extends WebSocket implements HeartbeatSocket {
  /** Set by the adapter: the connection's queued subscription messages, flushed before each write of ws. */
  batch: Pick<FrameWriter, 'flush' | 'piggyback' | 'flushPiggyback'> | undefined = undefined;
  /** Set by the adapter with `batch`: the connection's bounded outbound queue. */
  outbound: Pick<OutboundQueue, 'cutOffIfBehind'> | undefined = undefined;
  // Declared here so that every connection has one shape (createHeartbeat sets them).
  heartbeatAlive: boolean | undefined = undefined;
  heartbeatBucket: Set<HeartbeatSocket> | undefined = undefined;

  override send(data: BufferLike, cb?: (err?: Error) => void): void;
  override send(data: BufferLike, options: SendOptions, cb?: (err?: Error) => void): void;
  override send(data: BufferLike, options?: SendOptions | ((err?: Error) => void), cb?: (err?: Error) => void): void {
    this.batch?.flush();
    // ws takes a callback in the options' place (graphql-ws sends that way).
    super.send(data, options as SendOptions, cb);
  }

  /**
   * A keep-alive ping that rides along with the connection's next subscription write (no system call of
   * its own while events flow), or goes out at `sendDeferredPing` at the latest. Without subscription
   * writes on this connection, a plain `ping()`.
   */
  deferPing(): void {
    if (this.batch) this.batch.piggyback(PING_FRAME);
    else this.ping();
  }

  /**
   * Writes a ping `deferPing` left waiting, if it has not gone out yet and no subscription message is
   * queued (which takes it along in its turn).
   */
  sendDeferredPing(): void {
    this.batch?.flushPiggyback();
  }

  /**
   * A connection that did not answer its ping: one with a backlog of subscription messages is cut off as
   * too slow (1013 and the reason telling it to resume from its last cursor, as at its queue's bound);
   * its pong may wait behind that backlog. Without one, false: the heartbeat terminates it.
   */
  closeUnanswered(): boolean {
    if (!this.outbound) return false;
    this.batch?.flush();
    return this.outbound.cutOffIfBehind();
  }

  override ping(...args: Parameters<WebSocket['ping']>): void {
    this.batch?.flush();
    super.ping(...args);
  }

  override pong(...args: Parameters<WebSocket['pong']>): void {
    this.batch?.flush();
    super.pong(...args);
  }

  override close(...args: Parameters<WebSocket['close']>): void {
    this.batch?.flush();
    super.close(...args);
  }
}
