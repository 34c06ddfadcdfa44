/**
 * Writes each connection's subscription messages once per event loop turn (docs/architecture.md
 * "Subscription groups"). A group hands a payload to every client at once; the messages a connection
 * gets in one turn (events that finished together, several subscriptions on one socket) go out as one
 * buffer in one socket write, so a gateway that falls behind makes fewer system calls per delivery, not
 * more: the kernel write is most of what a delivery costs.
 *
 * One event to 10,000 clients is 10,000 socket writes, tens of milliseconds of CPU: they go out in slices
 * of `maxWritesPerTurn` connections, one slice per turn, so the I/O between slices (the next upstream
 * event, the entity fetches of the events behind it) is not held up by the whole burst. A connection
 * still waiting for its slice when the next event is handed over gets both in its one write: under
 * load, bursts merge instead of queueing one behind the other.
 */
import { encodeTextFrame, encodeTextFrames } from './encodeTextFrame.js';

/** Where one connection's batches go: its bounded outbound queue (`createOutboundQueue`). */
export interface BatchTarget {
  /**
   * Writes `frame`: `messages` complete subscription messages (websocket frames), after any frames riding
   * along (`FrameWriter.piggyback`, not counted); false when refused (closed, cut off).
   */
  send(frame: Uint8Array, messages: number): boolean;
}

/** One connection's messages of the current turn. */
export interface FrameWriter {
  /** Queues the message `head + body + tail`; `body` is shared with other clients and never copied until written. */
  queue(head: Uint8Array, body: Uint8Array): void;
  /**
   * Lets `frame` (complete websocket frames, e.g. a ping) ride along with the connection's next write
   * instead of taking a system call of its own; it goes first in that write. Nothing is scheduled for it:
   * `flush` writes it at the latest.
   */
  piggyback(frame: Uint8Array): void;
  /** Writes what is queued now: the transport calls it before writing a message of its own, to keep the order. */
  flush(): void;
  /**
   * Writes a piggybacked frame still waiting, alone, unless messages are queued: then it goes with them
   * in their turn (writing them now would jump the queue of connections waiting for their slice).
   */
  flushPiggyback(): void;
}

export interface FrameBatcher {
  /** A writer for one connection; it holds nothing while the connection has nothing queued. */
  writer(target: BatchTarget): FrameWriter;
  /**
   * Calls `callback` once every connection that has messages queued now has been written (the end of a
   * fan-out, for metrics); in a microtask when none has. A throw is ignored.
   */
  whenWritten(callback: () => void): void;
}

export interface FrameBatcherOptions {
  /** What ends every message after its body (e.g. the `}` closing a graphql-ws `next`). */
  tail: Uint8Array;
  /**
   * Schedules the turn's flush.
   * @default setImmediate (after the I/O callbacks of the turn, so events that finished together share a write)
   */
  schedule?(flush: () => void): void;
  /**
   * Connections written in one turn at most; the rest wait for the next turn (scheduled the same way),
   * after the I/O that arrived meanwhile. Smaller slices let the next events' entity fetches through
   * sooner: with 10,000 clients at 10 events/s, 250 gave the gateway's resolve step a p50 under 50 ms
   * against under 100 ms at 1,000, latency p50 166-197 ms against 208-241 (`bench:fanout`, loaded machine);
   * 100 was no better than 250.
   * @default 250
   */
  maxWritesPerTurn?: number;
}

export function createFrameBatcher(options: FrameBatcherOptions): FrameBatcher {
  const { tail, schedule = (flush: () => void) => void setImmediate(flush), maxWritesPerTurn = 250 } = options;
  if (!(maxWritesPerTurn >= 1)) throw new RangeError(`maxWritesPerTurn must be at least 1, got ${maxWritesPerTurn}`);
  // Connections with messages queued, in the order they got their first; `next` is the next to write.
  // One written (by its slice, or by a write of its own transport) and given more is listed again; an
  // entry whose connection has nothing queued by then writes nothing.
  let dirty: Array<Writer | undefined> = [];
  let next = 0;
  let scheduled = false;
  // Entries ever listed and ever taken off the list, and the callbacks waiting for a count of the latter.
  let listed = 0;
  let written = 0;
  let waiters: Array<{ upTo: number; callback: () => void }> = [];
  const callQuietly = (callback: () => void) => {
    try {
      callback();
    } catch {
      // metrics must not break delivery
    }
  };
  const wake = () => {
    if (!waiters.length || waiters[0].upTo > written) return;
    const due = waiters.filter((waiter) => waiter.upTo <= written);
    waiters = waiters.filter((waiter) => waiter.upTo > written);
    for (const waiter of due) callQuietly(waiter.callback);
  };
  // `scheduled` stays true while a slice runs: a write that queues more is picked up by this loop.
  const flushSome = () => {
    const end = Math.min(dirty.length, next + maxWritesPerTurn);
    try {
      while (next < end) {
        const writer = dirty[next];
        dirty[next++] = undefined;
        written += 1;
        writer!.flush();
      }
    } finally {
      settle();
      wake();
    }
  };
  const settle = () => {
    if (next < dirty.length) {
      if (next >= 4096) {
        dirty = dirty.slice(next);
        next = 0;
      }
      schedule(flushSome);
    } else {
      dirty = [];
      next = 0;
      scheduled = false;
    }
  };

  class Writer implements FrameWriter {
    // The turn's first message in two fields and any further ones in `more` (`[head1, body1, …]`): one
    // message per connection per turn is the usual case, and it then costs no array.
    private head: Uint8Array | undefined = undefined;
    private body: Uint8Array | undefined = undefined;
    private more: Uint8Array[] | undefined = undefined;
    private rider: Uint8Array | undefined = undefined;
    constructor(private readonly target: BatchTarget) {}

    queue(head: Uint8Array, body: Uint8Array): void {
      if (this.head !== undefined) {
        (this.more ??= []).push(head, body);
        return;
      }
      this.head = head;
      this.body = body;
      dirty.push(this);
      listed += 1;
      if (!scheduled) {
        scheduled = true;
        schedule(flushSome);
      }
    }

    piggyback(frame: Uint8Array): void {
      this.rider = this.rider ? Buffer.concat([this.rider, frame]) : frame;
    }

    flushPiggyback(): void {
      if (this.head === undefined) this.flush();
    }

    flush(): void {
      const { head, body, more, rider } = this;
      if (head === undefined) {
        if (rider === undefined) return;
        this.rider = undefined;
        this.target.send(rider, 0);
        return;
      }
      // Cleared first: the write may close the connection, which flushes again.
      this.head = this.body = this.more = this.rider = undefined;
      if (more) this.target.send(encodeTextFrames([head, body!, ...more], tail, rider), 1 + more.length / 2);
      else this.target.send(encodeTextFrame(head, body!, tail, rider), 1);
    }
  }

  return {
    writer: (target) => new Writer(target),
    whenWritten(callback) {
      if (listed === written) queueMicrotask(() => callQuietly(callback));
      else waiters.push({ upTo: listed, callback });
    },
  };
}
