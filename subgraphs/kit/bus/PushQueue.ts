/**
 * A single-consumer async iterator fed by pushes: the bridge from callbacks to `for await`.
 * `return()` from the consumer runs the cleanup once; `end()`/`fail()` from the producer finish it.
 */
export class PushQueue<T> implements AsyncIterableIterator<T> {
  private readonly buffered: T[] = [];
  private readonly waiting: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  private finished = false;
  private failure: unknown = undefined;
  private cleanedUp = false;

  /** @param onReturn runs once when the iterator finishes for any reason (consumer return, end, fail). */
  constructor(private readonly onReturn: () => void = () => {}) {}

  /** Deliver a value (dropped after the iterator finished). */
  push(value: T): void {
    if (this.finished) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve({ value, done: false });
    else this.buffered.push(value);
  }

  /** Finish after the buffered values are consumed. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup();
    for (const w of this.waiting.splice(0)) w.resolve({ value: undefined, done: true });
  }

  /** Finish with an error, raised to the consumer after the buffered values. */
  fail(error: unknown): void {
    if (this.finished) return;
    this.failure = error ?? new Error('subscription failed');
    this.finished = true;
    this.cleanup();
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }

  /** Values waiting to be consumed (for back-pressure decisions). */
  get size(): number {
    return this.buffered.length;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length) return Promise.resolve({ value: this.buffered.shift() as T, done: false });
    if (this.finished) {
      if (this.failure !== undefined) {
        const failure = this.failure;
        this.failure = undefined;
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the source's own error, passed on unchanged
        return Promise.reject(failure);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.buffered.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.buffered.length = 0;
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private cleanup(): void {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    this.onReturn();
  }
}
