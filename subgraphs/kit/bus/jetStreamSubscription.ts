import {
  AckPolicy,
  DeliverPolicy,
  type Consumer,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, nuid } from '@nats-io/transport-node';
import { CursorUnavailableError, type BusMessage, type BusSubscription } from './Bus.js';
import type { ConnectionWatch } from './jetStreamConnection.js';
import { streamInfo } from './jetStreamStream.js';

/** What an ordered subscription needs from the bus. */
export interface JetStreamSubscriptionOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  watch: ConnectionWatch;
  stream: string;
  /** ONE subject filter, as on the broker: several filters per consumer need nats-server 2.10. */
  filter: string;
  /** The bus namespace's subject prefix, removed from delivered subjects. @default '' */
  subjectPrefix?: string;
  /** Resume after this stream sequence; absent = only events published from now on. */
  from?: string;
  /** Without `from`: start at the first event the stream accepted at or after this instant. */
  since?: Date;
  /** Runs once when the subscription ends for any reason. */
  onEnd: () => void;
}

/** Messages per pull: the next pull is only sent once the reader consumed the previous one (back-pressure). */
const PULL_BATCH = 256;
/**
 * Pull expiry. Its idle heartbeats (half of it) bound how long a consumer lost while the connection stayed
 * up goes unnoticed; after a reconnect the consumer is checked at once.
 */
const PULL_EXPIRES_MS = 15_000;
/** Recreation retries back off up to this; the subscription never gives up while the broker is away. */
const MAX_RETRY_DELAY_MS = 2_000;

/**
 * A bus subscription backed by an ordered consumer of our own: an ephemeral, in-memory, unacknowledged
 * pull consumer with ONE filter subject, recreated from the last delivered stream sequence whenever it
 * fails (broker restart, missed heartbeats, a delivery-sequence gap). Hence no gap and no duplicate across
 * restarts; if the stream dropped events while we were away, the iterator fails with
 * {@link CursorUnavailableError} instead of skipping them.
 *
 * Why not the client's `consumers.get(stream, opts)` ordered consumer (it runs on nats-server 2.9.10): after
 * recreating its consumer it keeps the old pull's pending count and stalls ~10 s until heartbeats expire,
 * and with `DeliverPolicy.New` it recreates a consumer that had delivered nothing from sequence 1.
 *
 * Positioning needs the stream state, which is asynchronous: an unavailable `from` is reported by the
 * FIRST `next()` rejecting with `CursorUnavailableError`, not by `subscribe` throwing as the in-process bus
 * does. {@link ready} settles once the first consumer exists.
 */
export class JetStreamSubscription<T = unknown> implements BusSubscription<T> {
  /** Resolves when the consumer exists (events published afterwards are delivered); rejects like the first `next()`. */
  readonly ready: Promise<void>;
  private readonly namePrefix = nuid.next();
  private serial = 0;
  private consumer: Consumer | null = null;
  private pull: { messages: ConsumerMessages; iterator: AsyncIterator<JsMsg> } | null = null;
  /** Last stream sequence handed to the reader (the resume point). */
  private delivered = 0;
  /** Delivery sequence of the current consumer, to notice a gap. */
  private consumerSequence = 0;
  private failures = 0;
  private finished = false;
  private ending: Promise<void> | null = null;
  private wakeFromBackoff: (() => void) | null = null;
  /** Set by a reconnect: a restarted broker lost our in-memory consumer, and a pull sent meanwhile was dropped. */
  private verifyConsumer = false;
  private readonly stopWatching: () => void;

  constructor(private readonly options: JetStreamSubscriptionOptions) {
    this.stopWatching = options.watch.onEveryReconnect(() => (this.verifyConsumer = true));
    this.ready = this.start();
    // The failure is raised by next(); a subscription nobody reads must not crash the process.
    this.ready.catch(() => {});
  }

  async next(): Promise<IteratorResult<BusMessage<T>>> {
    try {
      await this.ready;
      while (!this.finished) {
        const message = await this.receive();
        if (message) return { value: toBusMessage<T>(message, this.options.subjectPrefix ?? ''), done: false };
      }
    } catch (error) {
      const endedByReader = this.finished;
      await this.end();
      if (!endedByReader) throw error;
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<BusMessage<T>>> {
    await this.end();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<BusMessage<T>>> {
    await this.end();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private async start(): Promise<void> {
    const { jsm, stream, from, since } = this.options;
    const info = await streamInfo(jsm, stream);
    if (!info) throw new Error(`stream ${stream} does not exist`);
    const { first_seq: first, last_seq: last, messages: count } = info.state;
    if (from === undefined && since !== undefined) {
      assertHeldSince(since, info.state);
      // The broker places a consumer by time; its first sequence, less one, is where we stand.
      const placed = await this.createConsumer(since);
      this.delivered = placed.delivered.stream_seq;
      return;
    }
    // "Only new events" is an explicit start too, so a recreation never replays from the stream's start.
    this.delivered = from === undefined ? last : resumeAfter(from, first, last, count);
    await this.createConsumer();
  }

  /** One message from the consumer, or null when the pull ended or the consumer had to be replaced. */
  private async receive(): Promise<JsMsg | null> {
    try {
      if (this.verifyConsumer && this.consumer && !this.pull) {
        // Without this check a pull on a vanished consumer waits for two missed heartbeats (~5 s).
        this.verifyConsumer = false;
        await this.consumer.info();
      }
      if (!this.consumer) await this.recreateConsumer();
      if (this.finished) return null;
      this.pull ??= await this.openPull();
      const result = await this.pull.iterator.next();
      if (result.done) {
        this.pull = null;
        return null;
      }
      const m = result.value;
      if (m.info.deliverySequence !== this.consumerSequence + 1) {
        // Something was skipped between the broker and us: start over from the last delivered event.
        this.dropConsumer();
        return null;
      }
      this.consumerSequence = m.info.deliverySequence;
      this.failures = 0;
      if (m.seq <= this.delivered) return null;
      this.delivered = m.seq;
      return m;
    } catch (error) {
      if (error instanceof CursorUnavailableError || this.finished) throw error;
      // Consumer gone (broker restart), heartbeats missed, broker unreachable: recreate after a pause.
      this.dropConsumer();
      await this.backoff();
      return null;
    }
  }

  private async openPull() {
    const messages = await this.consumer!.fetch({ max_messages: PULL_BATCH, expires: PULL_EXPIRES_MS });
    return { messages, iterator: messages[Symbol.asyncIterator]() };
  }

  /** A new consumer at `delivered + 1`, unless the stream no longer holds that event. */
  private async recreateConsumer(): Promise<void> {
    const info = await streamInfo(this.options.jsm, this.options.stream);
    if (!info) throw new Error(`stream ${this.options.stream} does not exist`);
    const { first_seq: first, messages: count, last_seq: last } = info.state;
    const oldest = count > 0 ? first : last + 1;
    if (this.delivered + 1 < oldest) {
      throw new CursorUnavailableError(String(this.delivered), `events before ${oldest} expired while the subscription was reconnecting`);
    }
    await this.createConsumer();
  }

  /** A consumer from `delivered + 1`, or from the first event at or after `startTime`; answers its info. */
  private async createConsumer(startTime?: Date): Promise<ConsumerInfo> {
    const { js, jsm, stream, filter } = this.options;
    const info = await jsm.consumers.add(stream, {
      name: `${this.namePrefix}_${++this.serial}`,
      filter_subject: filter,
      ...(startTime
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: startTime.toISOString() }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.delivered + 1 }),
      ack_policy: AckPolicy.None,
      max_deliver: 1,
      mem_storage: true,
      num_replicas: 1,
      // A consumer whose subscriber vanished without return() goes away by itself.
      inactive_threshold: nanos(5 * 60_000),
    });
    this.consumer = js.consumers.getConsumerFromInfo(info);
    this.consumerSequence = 0;
    // return() ran while we were creating it: end() found nothing to delete.
    if (this.finished && this.ending) this.dropConsumer();
    return info;
  }

  private dropConsumer(): void {
    this.pull?.messages.stop();
    this.pull = null;
    const old = this.consumer;
    this.consumer = null;
    old?.delete().catch(() => {});
  }

  private async backoff(): Promise<void> {
    const wait = Math.min(100 * 2 ** this.failures++, MAX_RETRY_DELAY_MS);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait);
      this.wakeFromBackoff = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeFromBackoff = null;
  }

  /** Stops pulling and deletes the consumer (else it lingers until its inactivity threshold). */
  private end(): Promise<void> {
    this.finished = true;
    this.stopWatching();
    this.wakeFromBackoff?.();
    this.ending ??= (async () => {
      await this.ready.catch(() => {});
      const pull = this.pull;
      const consumer = this.consumer;
      this.pull = null;
      this.consumer = null;
      pull?.messages.stop();
      await consumer?.delete().catch(() => {});
      this.options.onEnd();
    })();
    return this.ending;
  }
}

/**
 * Refuses a `since` the stream cannot honour: events it no longer holds (before its first, or all of them
 * when it is empty) may have been published at or after `since`.
 */
function assertHeldSince(since: Date, state: { first_seq: number; last_seq: number; messages: number; first_ts: string; last_ts: string }): void {
  const lostAny = state.messages > 0 ? state.first_seq > 1 : state.last_seq > 0;
  if (!lostAny) return;
  // The newest event gone is older than the first one held (or, with none held, than the last one written).
  const newestLost = Date.parse(state.messages > 0 ? state.first_ts : state.last_ts);
  if (!(newestLost < since.getTime())) throw new CursorUnavailableError(since.toISOString(), 'events since then are no longer all retained');
}

/** The last sequence already seen when resuming after `cursor`; refuses cursors the stream cannot honour. */
function resumeAfter(cursor: string, first: number, last: number, count: number): number {
  const after = /^\d+$/.test(cursor) ? Number(cursor) : NaN;
  if (!Number.isSafeInteger(after)) throw new CursorUnavailableError(cursor, 'not a cursor of this bus');
  if (after > last) throw new CursorUnavailableError(cursor, `the newest cursor is ${last}`);
  // An empty stream reports first_seq 0 (never written) or last_seq + 1 (purged or expired).
  const oldest = count > 0 ? first : last + 1;
  if (after + 1 < oldest) throw new CursorUnavailableError(cursor, `events before ${oldest} are no longer retained`);
  return after;
}

function toBusMessage<T>(m: JsMsg, subjectPrefix: string): BusMessage<T> {
  const text = m.string();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // A foreign publisher's non-JSON body (e.g. a malformed fact under a wide filter) arrives as text.
    data = text;
  }
  const subject = subjectPrefix && m.subject.startsWith(subjectPrefix) ? m.subject.slice(subjectPrefix.length) : m.subject;
  return { cursor: String(m.seq), subject, data: data as T, publishedAt: m.time };
}
