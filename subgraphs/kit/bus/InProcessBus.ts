import { type Bus, type BusMessage, type BusSubscription, type SubscribeOptions, CursorUnavailableError } from './Bus.js';
import { PushQueue } from '../../../core/async/PushQueue.js';
import { subjectMatches } from './subjectMatches.js';

/** Options of the in-process bus. */
export interface InProcessBusOptions {
  /**
   * How many recent events are at least kept for replay (`from` cursors; up to 10% more before trimming). Older cursors fail with
   * `CursorUnavailableError` instead of silently skipping events.
   * @default 100000
   */
  retain?: number;
  /**
   * Events buffered for one slow subscriber before it is ended with an error (it can resume from its
   * last cursor). Protects the process from a consumer that never reads.
   * @default 10000
   */
  maxPendingPerSubscriber?: number;
}

/**
 * The embedded bus: one stream in this process, cursors are its sequence numbers. Same semantics as the
 * JetStream bus (replay from a cursor, then live, gap-free), without durability across restarts.
 */
export class InProcessBus implements Bus {
  private sequence = 0;
  private readonly retained: BusMessage[] = [];
  private readonly subscribers = new Set<{ filter: string; queue: PushQueue<BusMessage> }>();
  private readonly retain: number;
  /** Events kept beyond `retain` before trimming; replay still refuses cursors older than `retain` allows. */
  private readonly trimSlack: number;
  private readonly maxPending: number;
  private closed = false;
  /** When this bus began: a `since` before it asks for events of a process before this one. */
  private readonly startedAt = new Date();

  constructor(options: InProcessBusOptions = {}) {
    const { retain = 100_000, maxPendingPerSubscriber = 10_000 } = options;
    this.retain = retain;
    this.trimSlack = Math.max(1, Math.ceil(retain / 10));
    this.maxPending = maxPendingPerSubscriber;
  }

  async publish(subject: string, data: unknown): Promise<string> {
    if (this.closed) throw new Error('bus is closed');
    const message: BusMessage = { cursor: String(++this.sequence), subject, data, publishedAt: new Date() };
    this.retained.push(message);
    // Trim in chunks: removing one element per publish would move the whole buffer every time.
    if (this.retained.length > this.retain + this.trimSlack) this.retained.splice(0, this.retained.length - this.retain);
    for (const sub of this.subscribers) {
      if (!subjectMatches(sub.filter, subject)) continue;
      if (sub.queue.size >= this.maxPending) {
        sub.queue.fail(new Error(`subscriber fell ${this.maxPending} events behind; resume from its last cursor`));
        continue;
      }
      sub.queue.push(message);
    }
    return message.cursor;
  }

  subscribe<T = unknown>(subjectFilter: string, options: SubscribeOptions = {}): BusSubscription<T> {
    const entry = { filter: subjectFilter, queue: new PushQueue<BusMessage>(() => this.subscribers.delete(entry)) };
    if (this.closed) {
      entry.queue.end();
      return entry.queue as PushQueue<BusMessage<T>>;
    }
    const replay = options.from !== undefined ? this.replayAfter(options.from) : options.since !== undefined ? this.replaySince(options.since) : [];
    // Replay and registration happen in one synchronous step: no event can slip between them.
    for (const message of replay) {
      if (subjectMatches(subjectFilter, message.subject)) entry.queue.push(message);
    }
    this.subscribers.add(entry);
    return entry.queue as PushQueue<BusMessage<T>>;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const sub of [...this.subscribers]) sub.queue.end();
    this.subscribers.clear();
  }

  private replaySince(since: Date): BusMessage[] {
    const label = since.toISOString();
    if (since < this.startedAt) throw new CursorUnavailableError(label, `this bus started at ${this.startedAt.toISOString()} (events before it are gone)`);
    const trimmed = this.retained.length ? Number(this.retained[0].cursor) > 1 : this.sequence > 0;
    if (trimmed && (this.retained.length === 0 || this.retained[0].publishedAt >= since))
      throw new CursorUnavailableError(label, 'events since then are no longer all retained');
    // Publication times ascend with the cursors: the first one at or after `since` starts the replay.
    let at = this.retained.length;
    while (at > 0 && this.retained[at - 1].publishedAt >= since) at--;
    return this.retained.slice(at);
  }

  private replayAfter(cursor: string): BusMessage[] {
    const after = Number(cursor);
    if (!Number.isInteger(after) || after < 0) throw new CursorUnavailableError(cursor, 'not a cursor of this bus');
    if (after > this.sequence) throw new CursorUnavailableError(cursor, `the newest cursor is ${this.sequence}`);
    const oldest = this.retained.length ? Number(this.retained[0].cursor) : this.sequence + 1;
    if (after + 1 < oldest) throw new CursorUnavailableError(cursor, `events before ${oldest} are no longer retained`);
    return this.retained.slice(after + 1 - oldest);
  }
}
