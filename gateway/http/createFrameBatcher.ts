/**
 * Writes each connection's subscription messages once per event loop turn (docs/architecture.md
 * "Subscription groups"). A group hands a payload to every client at once; the messages a connection
 * gets in one turn (events that finished together, several subscriptions on one socket) go out as one
 * buffer in one socket write, so a gateway that falls behind makes fewer system calls per delivery, not
 * more: the kernel write is most of what a delivery costs.
 */
import { encodeTextFrames } from './encodeTextFrame.js';

/** Where one connection's batches go: its bounded outbound queue (`createOutboundQueue`). */
export interface BatchTarget {
  /** Writes `messages` complete websocket frames held in `frame`; false when refused (closed, cut off). */
  send(frame: Uint8Array, messages: number): boolean;
}

/** One connection's messages of the current turn. */
export interface FrameWriter {
  /** Queues the message `head + body + tail`; `body` is shared with other clients and never copied until written. */
  queue(head: Uint8Array, body: Uint8Array): void;
  /** Writes what is queued now: the transport calls it before writing a message of its own, to keep the order. */
  flush(): void;
}

export interface FrameBatcher {
  /** A writer for one connection; it holds nothing while the connection has nothing queued. */
  writer(target: BatchTarget): FrameWriter;
}

export interface FrameBatcherOptions {
  /** What ends every message after its body (e.g. the `}` closing a graphql-ws `next`). */
  tail: Uint8Array;
  /**
   * Schedules the turn's flush.
   * @default setImmediate (after the I/O callbacks of the turn, so events that finished together share a write)
   */
  schedule?(flush: () => void): void;
}

const NOTHING: Uint8Array[] = [];

export function createFrameBatcher(options: FrameBatcherOptions): FrameBatcher {
  const { tail, schedule = (flush: () => void) => void setImmediate(flush) } = options;
  let dirty: Writer[] = [];
  const flushAll = () => {
    const writers = dirty;
    dirty = [];
    for (const writer of writers) writer.flush();
  };

  class Writer implements FrameWriter {
    /** `[head0, body0, head1, body1, …]`; the shared empty array while nothing is queued. */
    private parts = NOTHING;
    constructor(private readonly target: BatchTarget) {}

    queue(head: Uint8Array, body: Uint8Array): void {
      if (this.parts === NOTHING) {
        this.parts = [];
        if (dirty.push(this) === 1) schedule(flushAll);
      }
      this.parts.push(head, body);
    }

    flush(): void {
      const parts = this.parts;
      if (parts === NOTHING) return;
      // Cleared first: the write may close the connection, which flushes again.
      this.parts = NOTHING;
      this.target.send(encodeTextFrames(parts, tail), parts.length / 2);
    }
  }

  return { writer: (target) => new Writer(target) };
}
