import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { IngestReport } from '../ingest/ingestEvents.js';
import { abortablePause } from './abortablePause.js';
import { amqpConfirmChannel } from './amqpConfirmChannel.js';
import { deadLetterNotice } from './deadLetterNotice.js';
import { decodeFact } from './decodeFact.js';
import type { FactSource } from './FactSource.js';
import type { MeshTopics } from './meshTopics.js';

/** Options of {@link amqpFactSource}. */
export interface AmqpFactSourceOptions {
  url: string;
  topics: MeshTopics;
  /** `DataProductRuntime.ingest`: validates, dedupes by source+id, commits. */
  ingest: (events: readonly unknown[]) => Promise<IngestReport>;
  /** Facts delivered unacknowledged at once (the AMQP prefetch), and the most per `ingest` call. @default 200 */
  batchSize?: number;
  /** First pause before a batch whose ingestion threw goes back to the queue; doubles up to 30 s; `stop()` cuts it short. @default 500 */
  retryDelayMs?: number;
  /** Told about store and broker failures (the source keeps going). @default console.error */
  onError?: (error: unknown) => void;
}

/** A delivery and the channel it came on: only that channel can acknowledge it. */
interface Delivery {
  channel: ConfirmChannel;
  message: ConsumeMessage;
}

/**
 * Ingests facts from the product's durable queue `mesh.<domain>.facts` over AMQP 0-9-1. Replicas are
 * competing consumers of that one queue; each fact is acknowledged only after ingestion reported it
 * applied, duplicate, or rejected (then dead-lettered in the store AND sent, persistent and confirmed, to
 * `mesh.<domain>.facts.dead-letter` with header `x-mesh-reason`). A fact unacknowledged when a connection
 * drops goes back to the queue; its redelivery is a duplicate by source+id.
 */
export async function amqpFactSource(options: AmqpFactSourceOptions): Promise<FactSource> {
  const { url, topics, ingest, batchSize = 200, retryDelayMs = 500, onError = (e: unknown) => console.error('event mesh: AMQP facts', e) } = options;
  const stopping = new AbortController();
  let active: ConfirmChannel | null = null;
  let consumerTag: string | null = null;
  let working: Promise<void> = Promise.resolve();
  let delay = retryDelayMs;
  let pending: Delivery[] = [];
  let scheduled = false;

  const decode = (m: ConsumeMessage) =>
    decodeFact(m.content, m.properties.contentType === 'application/cloudevents+json' ? undefined : m.properties.headers, ['cloudEvents:', 'cloudEvents_']);

  const sendDeadLetters = (ch: ConfirmChannel, batch: ConsumeMessage[], report: IngestReport) =>
    Promise.all(
      report.events.flatMap((outcome) =>
        outcome.status !== 'rejected'
          ? []
          : [
              new Promise<void>((resolve, reject) => {
                const notice = deadLetterNotice(outcome, batch[outcome.index].content);
                ch.sendToQueue(
                  topics.deadLetterQueue,
                  Buffer.from(JSON.stringify(notice)),
                  { persistent: true, contentType: 'application/json', headers: { 'x-mesh-reason': notice.reason.slice(0, 1000) } },
                  (error) => (error ? reject(new Error('the broker refused a dead letter')) : resolve()),
                );
              }),
            ],
      ),
    );

  /** Ingests one batch, then acknowledges what ingestion answered; a throw leaves the rest to the caller. */
  async function apply(ch: ConfirmChannel, batch: ConsumeMessage[], settled: Set<ConsumeMessage>): Promise<void> {
    let report: IngestReport;
    try {
      report = await ingest(batch.map(decode));
      delay = retryDelayMs;
    } catch (error) {
      onError(new Error(`AMQP facts: ingesting ${batch.length} fact(s) failed; they go back to the queue after ${delay} ms`, { cause: error }));
      await abortablePause(delay, stopping.signal);
      delay = Math.min(delay * 2, 30_000);
      return; // the caller requeues the batch (or, when stopping, the closing connection does)
    }
    await sendDeadLetters(ch, batch, report).catch(onError);
    if (ch !== active) return; // the channel closed meanwhile: the broker delivers the batch again (duplicates)
    const answered = new Set(report.events.map((o) => o.index));
    for (const [index, m] of batch.entries()) {
      if (!answered.has(index)) continue;
      ch.ack(m);
      settled.add(m);
    }
  }

  /** Applies what arrived, batch by batch; deliveries of a channel that closed meanwhile are the broker's again. */
  async function drain(): Promise<void> {
    scheduled = false;
    while (pending.length) {
      const ch = active;
      const batch = pending
        .splice(0, batchSize)
        .filter((d) => d.channel === ch)
        .map((d) => d.message);
      if (!ch || !batch.length || stopping.signal.aborted) continue;
      const settled = new Set<ConsumeMessage>();
      try {
        await apply(ch, batch, settled);
      } catch (error) {
        onError(new Error(`AMQP facts: a batch of ${batch.length} failed; its unacknowledged facts go back to the queue`, { cause: error }));
      } finally {
        // Whatever was not acknowledged (ingestion threw, or an outcome is missing) goes back to the queue.
        if (ch === active && !stopping.signal.aborted) for (const m of batch) if (!settled.has(m)) ch.nack(m, false, true);
      }
    }
  }

  const take = (ch: ConfirmChannel) => (message: ConsumeMessage | null) => {
    if (!message) return; // consumer cancelled by the broker (queue deleted): recovery sets it up again
    pending.push({ channel: ch, message });
    if (scheduled) return;
    scheduled = true;
    // Facts that arrive while a batch is applied wait and go together in the next one. The chain never
    // rejects (a rejected link would skip every later batch): a failure is logged and the chain goes on.
    working = working.then(drain).catch((error: unknown) => onError(new Error('AMQP facts: draining deliveries failed', { cause: error })));
  };

  const channel = await amqpConfirmChannel({
    url,
    onError,
    async setup(ch) {
      ch.on('close', () => {
        if (active === ch) active = null;
      });
      await ch.assertQueue(topics.factQueue, { durable: true });
      await ch.assertQueue(topics.deadLetterQueue, { durable: true });
      await ch.prefetch(batchSize);
      pending = [];
      active = ch;
      if (stopping.signal.aborted) return;
      consumerTag = (await ch.consume(topics.factQueue, take(ch), { noAck: false })).consumerTag;
    },
  });

  return {
    async stop() {
      stopping.abort();
      const ch = active;
      if (ch && consumerTag) await ch.cancel(consumerTag).catch(() => undefined);
      await working;
      await channel.close();
    },
  };
}
