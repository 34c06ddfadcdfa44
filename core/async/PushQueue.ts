type Pull<T> = { resolve(result: IteratorResult<T>): void; reject(error: unknown): void };

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * A single-consumer async iterator fed by pushes: the bridge from callbacks to `for await`. Values wait in
 * a buffer until pulled; pulls wait until a value arrives. Whoever finishes first wins: the producer with
 * `end()`/`fail()` (the consumer still drains what was buffered, then gets the failure once), or the
 * consumer with `return()`/`throw()` (buffered values are dropped). `onClose` runs exactly once, on
 * whichever of those comes first, so cleanup has one home.
 */
export class PushQueue<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private readonly pulls: Pull<T>[] = [];
  private finished = false;
  // After close: what a pull gets once the buffer is empty (reported once, then the iterator is done).
  private failure: { error: unknown } | undefined;

  /** @param onClose runs once when the queue closes for any reason (consumer return/throw, end, fail). */
  constructor(private readonly onClose: () => void = () => {}) {}

  /** True once `end`, `fail`, `return` or `throw` was called. */
  get closed(): boolean {
    return this.finished;
  }

  /** Values waiting to be pulled (for back-pressure decisions). */
  get size(): number {
    return this.buffered.length;
  }

  /** Buffers `value` or hands it to a waiting pull. Ignored once the queue is closed. */
  push(value: T): void {
    if (this.finished) return;
    const pull = this.pulls.shift();
    if (pull) pull.resolve({ value, done: false });
    else this.buffered.push(value);
  }

  /** Ends the stream after the buffered values. Ignored once the queue is closed. */
  end(): void {
    this.close();
  }

  /** Ends the stream with `error` after the buffered values: one pull rejects with it. Ignored once closed. */
  fail(error: unknown): void {
    if (this.finished) return;
    this.failure = { error };
    this.close();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length > 0) return Promise.resolve({ value: this.buffered.shift()!, done: false });
    if (this.finished) {
      const failure = this.takeFailure();
      return failure ? Promise.reject(failure.error) : Promise.resolve(DONE);
    }
    return new Promise<IteratorResult<T>>((resolve, reject) => this.pulls.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.finishByConsumer();
    return Promise.resolve(DONE);
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.finishByConsumer();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finishByConsumer(): void {
    this.buffered.length = 0;
    this.failure = undefined;
    this.close();
  }

  private close(): void {
    if (!this.finished) {
      this.finished = true;
      this.onClose();
    }
    // Pulls only wait on an empty buffer, so after close each gets the failure (once) or the end.
    for (const pull of this.pulls.splice(0)) {
      const failure = this.takeFailure();
      if (failure) pull.reject(failure.error);
      else pull.resolve(DONE);
    }
  }

  private takeFailure(): { error: unknown } | undefined {
    const failure = this.failure;
    this.failure = undefined;
    return failure;
  }
}
