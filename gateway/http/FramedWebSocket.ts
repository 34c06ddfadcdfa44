/**
 * The `ws` WebSocket the gateway's websocket server creates (`WebSocketServer`'s documented `WebSocket`
 * option). Subscription messages are written to the connection's TCP socket beside `ws`, batched per
 * event loop turn (`createFrameBatcher`); every message `ws` writes itself (graphql-ws `complete`,
 * `error`, query results, pings, pongs, the close frame) first flushes that batch, so a client never
 * gets `complete` or a close frame before the last `next` of its subscription.
 */
import { WebSocket } from 'ws';
import type { HeartbeatSocket } from './createHeartbeat.js';

type BufferLike = Parameters<WebSocket['send']>[0];
type SendOptions = Parameters<WebSocket['send']>[1];

export class FramedWebSocket extends WebSocket implements HeartbeatSocket {
  /** Set by the adapter: the connection's queued subscription messages, flushed before each write of ws. */
  batch: { flush(): void } | undefined = undefined;
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
