import type { ExecutionResult } from 'graphql';
import type { EventFrame } from './EventFrame.js';
import type { ResultOrder } from './ResultOrder.js';

/** Where a client's frames go once a transport takes them over (see `ClientStream.deliverTo`). */
export interface FrameSink {
  /** One frame for this client, in order; the same object every client of its group gets. */
  write(frame: EventFrame): void;
}

/** A client's own checks, made before each of its payloads (its group shares everything else). */
export interface ClientChecks {
  /** True when the client may no longer receive events (e.g. its token expired). */
  expired(): boolean;
  /** Called once when `expired` said true, before the stream ends. A throw is ignored. */
  onExpired(): void;
  /**
   * The epoch millisecond (on `Date.now()`'s clock) from which `expired` says true, when it is just that:
   * then `deliver` compares it with the time it is given instead of calling `expired`.
   * @default none: `expired` is called per payload
   */
  expiresAtMs?: number;
}

type Pull = (result: IteratorResult<ExecutionResult>) => void;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * One client of a subscription group. By default an async iterator of results (what graphql-ws and tests
 * consume); a websocket adapter can call `deliverTo` to take every frame as it comes instead, so the
 * payload the group encoded once is written to the socket without a per-client `JSON.stringify`. Then
 * the iterator yields nothing and just ends when the subscription does (graphql-ws then sends
 * `complete`). `return()` leaves the group; `onClose` runs exactly once, however the stream ends.
 */
export class ClientStream implements AsyncIterableIterator<ExecutionResult> {
  // A gateway holds one per subscribed client, tens of thousands: nothing is allocated until used. A
  // websocket client has a sink, no buffer, and one pull waiting (graphql-ws's `for await`), kept in `pull`.
  private buffered: EventFrame[] | undefined = undefined;
  private pull: Pull | undefined = undefined;
  private morePulls: Pull[] | undefined = undefined;
  private sink: FrameSink | undefined = undefined;
  private finished = false;
  private endListeners: Array<() => void> | undefined = undefined;
  /** `checks.expiresAtMs`; Infinity without checks, NaN when `checks.expired` must be asked. */
  private readonly expiresAtMs: number;

  /**
   * @param order the key order this client's results have (its group hands it frames in that order)
   */
  constructor(
    private readonly onClose: () => void,
    private readonly checks?: ClientChecks,
    readonly order?: ResultOrder,
  ) {
    this.expiresAtMs = checks ? (checks.expiresAtMs ?? Number.NaN) : Number.POSITIVE_INFINITY;
  }

  get closed(): boolean {
    return this.finished;
  }

  /** Frames waiting to be pulled (always 0 once a sink took over). */
  get size(): number {
    return this.buffered?.length ?? 0;
  }

  /**
   * Hands `frame` to the sink or the iterator, unless the client's checks end the stream first.
   * @param nowMs `Date.now()`, read once by a group for all its clients
   */
  deliver(frame: EventFrame, nowMs = Date.now()): void {
    if (this.finished) return;
    const expiresAtMs = this.expiresAtMs;
    // NaN (no deadline known) compares false both ways: then the checks are asked.
    if (expiresAtMs <= nowMs || (expiresAtMs !== expiresAtMs && this.checks!.expired())) {
      try {
        this.checks!.onExpired();
      } catch {
        // the adapter's problem; the stream ends either way
      }
      this.end();
      return;
    }
    if (this.sink) return this.sink.write(frame);
    const pull = this.takePull();
    if (pull) pull({ value: frame.result, done: false });
    else (this.buffered ??= []).push(frame);
  }

  /** From now on every frame goes to `sink`; frames already waiting go first. */
  deliverTo(sink: FrameSink): void {
    this.sink = sink;
    const buffered = this.buffered;
    this.buffered = undefined;
    for (const frame of buffered ?? []) sink.write(frame);
  }

  /** Runs `listener` once when the stream ends (at once if it has). */
  onEnd(listener: () => void): void {
    if (this.finished) listener();
    else (this.endListeners ??= []).push(listener);
  }

  /** Ends the stream after what is buffered. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.onClose();
    const listeners = this.endListeners;
    this.endListeners = undefined;
    for (const listener of listeners ?? []) listener();
    for (let pull = this.takePull(); pull; pull = this.takePull()) pull(DONE);
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const frame = this.buffered?.shift();
    if (frame) return Promise.resolve({ value: frame.result, done: false });
    if (this.finished) return Promise.resolve(DONE);
    return new Promise<IteratorResult<ExecutionResult>>((resolve) => {
      if (!this.pull) this.pull = resolve;
      else (this.morePulls ??= []).push(resolve);
    });
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.buffered = undefined;
    this.end();
    return Promise.resolve(DONE);
  }

  throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.buffered = undefined;
    this.end();
    return Promise.reject(error);
  }

  /** The oldest waiting pull, if any. */
  private takePull(): Pull | undefined {
    const pull = this.pull;
    this.pull = this.morePulls?.shift();
    return pull;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
