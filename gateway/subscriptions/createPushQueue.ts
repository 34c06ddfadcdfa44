/**
 * A push-based async iterator: the producer pushes values whenever it has them, the consumer pulls with
 * `for await`. Values wait in a buffer until pulled; pulls wait until a value arrives. Whoever finishes
 * first wins: the producer with `end()`/`fail()` (the consumer still drains what was buffered), or the
 * consumer with `return()`/`throw()` (buffered values are dropped). `onClose` runs exactly once, on
 * whichever of those comes first, so cleanup has one home.
 */

export interface PushQueue<T> {
  /** The consumer side; hand this to whoever iterates. */
  readonly iterator: AsyncIterableIterator<T>;
  /** Buffers `value` or hands it to a waiting pull. Ignored once the queue is closed. */
  push(value: T): void;
  /** Ends the stream after the buffered values. Ignored once the queue is closed. */
  end(): void;
  /** Ends the stream with `error` (the consumer's pull rejects) after the buffered values. */
  fail(error: unknown): void;
  /** True once `end`, `fail`, `return` or `throw` was called. */
  readonly closed: boolean;
}

type Pull<T> = { resolve(result: IteratorResult<T>): void; reject(error: unknown): void };

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

export function createPushQueue<T>(onClose: () => void = () => {}): PushQueue<T> {
  const buffer: T[] = [];
  const pulls: Pull<T>[] = [];
  let closed = false;
  // After close: what a pull gets once the buffer is empty.
  let failure: { error: unknown } | undefined;

  function close(): void {
    if (closed) return;
    closed = true;
    onClose();
  }

  function settlePullsAfterClose(): void {
    while (pulls.length > 0) {
      const pull = pulls.shift()!;
      if (failure) {
        const { error } = failure;
        failure = undefined; // the error is reported once, then the iterator is simply done
        pull.reject(error);
      } else {
        pull.resolve(DONE);
      }
    }
  }

  function finishByConsumer(): void {
    buffer.length = 0;
    failure = undefined;
    close();
    settlePullsAfterClose();
  }

  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (buffer.length > 0) return Promise.resolve({ value: buffer.shift()!, done: false });
      if (closed) {
        if (failure) {
          const { error } = failure;
          failure = undefined;
          return Promise.reject(error);
        }
        return Promise.resolve(DONE);
      }
      return new Promise<IteratorResult<T>>((resolve, reject) => pulls.push({ resolve, reject }));
    },
    return() {
      finishByConsumer();
      return Promise.resolve(DONE);
    },
    throw(error?: unknown) {
      finishByConsumer();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };

  return {
    iterator,
    get closed() {
      return closed;
    },
    push(value) {
      if (closed) return;
      const pull = pulls.shift();
      if (pull) pull.resolve({ value, done: false });
      else buffer.push(value);
    },
    end() {
      if (closed) return;
      close();
      settlePullsAfterClose();
    },
    fail(error) {
      if (closed) return;
      failure = { error };
      close();
      settlePullsAfterClose();
    },
  };
}
