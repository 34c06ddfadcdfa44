/**
 * Keep-alive for the gateway's client websockets: each connection is pinged once per `intervalMs`, and
 * one that has not answered the previous ping by then is terminated (as graphql-ws's own keep-alive
 * does: 12 s, and a dead client goes after at most two intervals), or cut off as too slow (1013) when
 * it has a backlog of messages its pong may wait behind (`closeUnanswered`). graphql-ws keeps a `setInterval`, a
 * `setTimeout` and a `pong` listener per connection for that; at 10,000 dashboards those timers and
 * closures were a measurable part of each idle client's memory and of the gateway's CPU. Here one timer
 * serves every connection: connections are spread over `slices` buckets and each tick pings one bucket,
 * so the pings of 10,000 clients are not one burst of writes in front of the next event. A socket that
 * can (`FramedWebSocket`) sends its ping with its next subscription write, at most one tick later: while
 * events flow, keep-alive costs no system call of its own.
 */
import { WebSocket } from 'ws';

export interface HeartbeatOptions {
  /**
   * How often each connection is pinged, and how long it has to answer; 0 turns the keep-alive off.
   * @default 12000 (graphql-ws's own default)
   */
  intervalMs?: number;
  /**
   * Buckets the connections are spread over: a tick every `intervalMs / slices` pings one bucket.
   * @default 12
   */
  slices?: number;
}

/** What the heartbeat keeps per connection: a flag and its bucket, on the socket itself. */
export interface HeartbeatSocket extends WebSocket {
  /** Answered the last ping (or not pinged yet). */
  heartbeatAlive?: boolean;
  heartbeatBucket?: Set<HeartbeatSocket>;
  /**
   * Pings with the connection's next write instead of a write of its own (`FramedWebSocket`);
   * `sendDeferredPing` is called one tick later and sends it if it is still waiting.
   * @default none: `ping()`
   */
  deferPing?(): void;
  sendDeferredPing?(): void;
  /**
   * Called instead of terminating a connection that did not answer its ping: returns true when it
   * closed the connection itself (`FramedWebSocket`: a client with a backlog of subscription messages
   * is cut off as too slow, 1013, since its pong may be waiting behind that backlog).
   * @default none: terminated (1006)
   */
  closeUnanswered?(): boolean;
}

export interface Heartbeat {
  /** Pings `socket` from now on until it closes. */
  watch(socket: HeartbeatSocket): void;
  /** Stops the timer (connections are left as they are). */
  dispose(): void;
}

// Shared listeners (`this` is the socket): no closure per connection.
function onPong(this: HeartbeatSocket): void {
  this.heartbeatAlive = true;
}
function onClose(this: HeartbeatSocket): void {
  this.heartbeatBucket?.delete(this);
  this.heartbeatBucket = undefined;
}

export function createHeartbeat(options: HeartbeatOptions = {}): Heartbeat {
  const { intervalMs = 12_000, slices = 12 } = options;
  if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) throw new RangeError(`intervalMs must be a finite number of at least 0, got ${intervalMs}`);
  if (!Number.isSafeInteger(slices) || slices < 1) throw new RangeError(`slices must be a positive integer, got ${slices}`);
  if (intervalMs === 0) return { watch: () => undefined, dispose: () => undefined };
  const buckets = Array.from({ length: slices }, () => new Set<HeartbeatSocket>());
  let nextBucket = 0;
  let cursor = 0;
  // Sockets of the previous tick whose ping waits for their next write: sent now if it still waits, so a
  // ping is late by one tick at most and the answer still has the rest of the interval (with one bucket
  // there is no rest: then pings go at once).
  const defer = slices > 1;
  let deferred: HeartbeatSocket[] = [];
  const tick = () => {
    for (const socket of deferred) if (socket.readyState === WebSocket.OPEN) socket.sendDeferredPing?.();
    deferred = [];
    const bucket = buckets[cursor];
    cursor = (cursor + 1) % slices;
    for (const socket of bucket) {
      if (socket.readyState !== WebSocket.OPEN) continue;
      if (!socket.heartbeatAlive) {
        if (!socket.closeUnanswered?.()) socket.terminate();
        continue;
      }
      socket.heartbeatAlive = false;
      if (defer && socket.deferPing) {
        socket.deferPing();
        deferred.push(socket);
      } else socket.ping();
    }
  };
  const timer = setInterval(tick, intervalMs / slices);
  timer.unref();
  return {
    watch(socket) {
      const bucket = buckets[nextBucket];
      nextBucket = (nextBucket + 1) % slices;
      socket.heartbeatAlive = true;
      socket.heartbeatBucket = bucket;
      bucket.add(socket);
      socket.on('pong', onPong);
      // `on`, not `once`: ws emits `close` once, and a `once` wrapper is two more objects per connection.
      socket.on('close', onClose);
    },
    dispose: () => clearInterval(timer),
  };
}
