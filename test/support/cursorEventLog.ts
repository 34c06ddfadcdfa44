/**
 * A tiny event log with sequence cursors, the shape of our subgraphs' change-event streams: `append`
 * gives each event the next cursor ("1", "2", ...), `subscribe(from)` replays the events after `from`
 * and then goes live, gap-free and without duplicates (no `from`: live only; `from` an ISO 8601
 * timestamp: the events appended since then, as the kit resumes a subscriber without a cursor). Several subgraph
 * replicas can serve one log, so cursors mean the same thing on each. `forgetThrough` drops old events
 * as a retention limit would; resuming from before them (or from a cursor never issued) throws a
 * GraphQLError coded CURSOR_UNAVAILABLE, as the data-product kit does.
 */
import { GraphQLError } from 'graphql';
import { deferred, type Deferred } from './asyncWait.js';

export interface LoggedEvent<T> {
  cursor: string;
  value: T;
}

export interface CursorEventLog<T> {
  /** Appends and wakes live subscribers; returns the event's cursor. */
  append(value: T): string;
  /** Drops the events up to and including `cursor`: resuming from before it fails. */
  forgetThrough(cursor: string): void;
  /** Throws CURSOR_UNAVAILABLE for a cursor that was forgotten or never issued. */
  subscribe(from?: string | null, accept?: (value: T) => boolean): AsyncIterableIterator<LoggedEvent<T>>;
  /** Subscriptions currently open. */
  readonly active: number;
  /** The cursor of the last event appended ("0" when empty). */
  readonly lastCursor: string;
}

export function createCursorEventLog<T>(): CursorEventLog<T> {
  // events[i] has cursor i + 1, appended at times[i] (epoch ms).
  const events: T[] = [];
  const times: number[] = [];
  let forgotten = 0;
  const waiting = new Set<Deferred<void>>();
  let active = 0;

  return {
    get active() {
      return active;
    },
    get lastCursor() {
      return String(events.length);
    },
    append(value) {
      events.push(value);
      times.push(Date.now());
      for (const wake of [...waiting]) wake.resolve();
      waiting.clear();
      return String(events.length);
    },
    forgetThrough(cursor) {
      forgotten = Math.max(forgotten, Number(cursor));
    },
    subscribe(from, accept = () => true) {
      let position = events.length;
      if (from != null && /^\d{4}-\d\d-\d\dT/.test(from)) {
        const since = Date.parse(from);
        position = times.findIndex((time) => time >= since);
        if (position < 0) position = events.length;
        if (position < forgotten) throw unavailable(from, `events up to ${forgotten} are no longer kept`);
      } else if (from != null) {
        const after = /^\d+$/.test(from) ? Number(from) : NaN;
        if (!(after <= events.length)) throw unavailable(from, 'it was never issued');
        if (after < forgotten) throw unavailable(from, `events up to ${forgotten} are no longer kept`);
        position = after;
      }
      active += 1;
      let done = false;
      let wake: Deferred<void> | undefined;
      const finish = () => {
        if (done) return;
        done = true;
        active -= 1;
        wake?.resolve();
      };
      const iterator: AsyncIterableIterator<LoggedEvent<T>> = {
        async next() {
          for (;;) {
            if (done) return { value: undefined, done: true };
            while (position < events.length) {
              const value = events[position];
              position += 1;
              if (accept(value)) return { value: { cursor: String(position), value }, done: false };
            }
            wake = deferred();
            waiting.add(wake);
            await wake.promise;
          }
        },
        async return() {
          finish();
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    },
  };
}

function unavailable(cursor: string, why: string): GraphQLError {
  return new GraphQLError(`cursor ${cursor} cannot be resumed: ${why}`, { extensions: { code: 'CURSOR_UNAVAILABLE' } });
}
