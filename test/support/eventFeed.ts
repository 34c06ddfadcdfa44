/**
 * A test-controlled source for subgraph subscription resolvers: `subscribe` returns the async iterator a
 * resolver hands to graphql-js, `publish` pushes a value to every open iterator whose filter accepts it.
 * It records subscribe calls and `return()`s so tests can assert what the subgraph saw.
 */
import { deferred, type Deferred } from './asyncWait.js';

export interface EventFeed<T> {
  subscribe(accept?: (value: T) => boolean, args?: unknown): AsyncIterableIterator<T>;
  publish(value: T): void;
  /** Iterators currently open (subscribed and not yet returned). */
  readonly active: number;
  /** Arguments of every subscribe call, in order. */
  readonly subscribeCalls: unknown[];
  /** How many iterators were ended by their consumer (`return()`). */
  readonly returns: number;
}

interface Subscriber<T> {
  accept: (value: T) => boolean;
  queue: T[];
  waiting?: Deferred<IteratorResult<T>>;
  done: boolean;
}

export function createEventFeed<T>(): EventFeed<T> {
  const subscribers = new Set<Subscriber<T>>();
  const subscribeCalls: unknown[] = [];
  let returns = 0;

  return {
    get active() {
      return subscribers.size;
    },
    get subscribeCalls() {
      return subscribeCalls;
    },
    get returns() {
      return returns;
    },
    publish(value) {
      for (const subscriber of subscribers) {
        if (!subscriber.accept(value)) continue;
        if (subscriber.waiting) {
          const waiting = subscriber.waiting;
          subscriber.waiting = undefined;
          waiting.resolve({ value, done: false });
        } else {
          subscriber.queue.push(value);
        }
      }
    },
    subscribe(accept = () => true, args) {
      subscribeCalls.push(args);
      const subscriber: Subscriber<T> = { accept, queue: [], done: false };
      subscribers.add(subscriber);
      const iterator: AsyncIterableIterator<T> = {
        next() {
          if (subscriber.done) return Promise.resolve({ value: undefined, done: true });
          const queued = subscriber.queue.shift();
          if (queued !== undefined) return Promise.resolve({ value: queued, done: false });
          subscriber.waiting = deferred<IteratorResult<T>>();
          return subscriber.waiting.promise;
        },
        return() {
          if (!subscriber.done) {
            subscriber.done = true;
            returns += 1;
            subscribers.delete(subscriber);
            subscriber.waiting?.resolve({ value: undefined, done: true });
          }
          return Promise.resolve({ value: undefined, done: true });
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    },
  };
}
