import amqp, { type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { IngestReport } from '../ingest/ingestEvents.js';
import { decodeFact, type DeadLetterNotice } from './decodeFact.js';
import type { MeshTopics } from './meshTopics.js';
import type { FactSource } from './mqttFactSource.js';

/** Options of {@link amqpFactSource}. */
export interface AmqpFactSourceOptions {
  url: string;
  topics: MeshTopics;
  /** `DataProductRuntime.ingest`: validates, dedupes by source+id, commits. */
  ingest: (events: readonly unknown[]) => Promise<IngestReport>;
  /** Facts delivered unacknowledged at once (the AMQP prefetch), and the most per `ingest` call. @default 200 */
  batchSize?: number;
  /** First pause before a batch whose ingestion threw goes back to the queue; doubles up to 30 s. @default 500 */
  retryDelayMs?: number;
  /** Told about store and broker failures. @default console.error */
  onError?: (error: unknown) => void;
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
  let stopping = false;
  let channel: ConfirmChannel | null = null;
  let consumerTag: string | null = null;
  let working: Promise<void> = Promise.resolve();
  let delay = retryDelayMs;

  async function apply(ch: ConfirmChannel, batch: ConsumeMessage[]): Promise<void> {
    if (stopping || ch !== channel) return; // the broker redelivers what this closed channel held
    let report: IngestReport;
    try {
      report = await ingest(
        batch.map((m) =>
          decodeFact(m.content, m.properties.contentType === 'application/cloudevents+json' ? undefined : m.properties.headers, [
            'cloudEvents:',
            'cloudEvents_',
          ]),
        ),
      );
      delay = retryDelayMs;
    } catch (error) {
      onError(error);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 30_000);
      for (const m of batch) ch.nack(m, false, true);
      return;
    }
    const rejected = report.events.filter((o) => o.status === 'rejected');
    await Promise.all(
      rejected.map(
        (outcome) =>
          new Promise<void>((resolve, reject) => {
            if (outcome.status !== 'rejected') return resolve();
            const body = batch[outcome.index].content.toString('utf8').slice(0, 65_536);
            const notice: DeadLetterNotice = {
              reason: outcome.reason,
              field: outcome.field,
              source: outcome.source,
              id: outcome.id,
              rejectedAt: new Date().toISOString(),
              body,
            };
            ch.sendToQueue(
              topics.deadLetterQueue,
              Buffer.from(JSON.stringify(notice)),
              { persistent: true, contentType: 'application/json', headers: { 'x-mesh-reason': outcome.reason.slice(0, 1000) } },
              (error) => (error ? reject(new Error('the broker refused a dead letter')) : resolve()),
            );
          }),
      ),
    ).catch(onError);
    const answered = new Set(report.events.map((o) => o.index));
    for (const [index, m] of batch.entries()) {
      if (answered.has(index)) ch.ack(m);
      else ch.nack(m, false, true);
    }
  }

  let pending: ConsumeMessage[] = [];
  let scheduled = false;
  const take = (ch: ConfirmChannel) => (message: ConsumeMessage | null) => {
    if (!message) return; // consumer cancelled by the broker (queue deleted): recovery sets it up again
    pending.push(message);
    if (scheduled) return;
    scheduled = true;
    // Facts that arrive while a batch is applied wait and go together in the next one.
    working = working.then(async () => {
      scheduled = false;
      while (pending.length) {
        const batch = pending.splice(0, batchSize);
        await apply(ch, batch);
      }
    });
    working.catch(onError);
  };

  const connection = await amqp.connect(url, {
    recovery: {
      initialDelay: 200,
      maxDelay: 5_000,
      initialMaxRetries: 3,
      async setup(model: ChannelModel) {
        const ch = await model.createConfirmChannel();
        ch.on('error', () => undefined);
        ch.on('close', () => {
          if (channel === ch) channel = null;
        });
        await ch.assertQueue(topics.factQueue, { durable: true });
        await ch.assertQueue(topics.deadLetterQueue, { durable: true });
        await ch.prefetch(batchSize);
        pending = [];
        channel = ch;
        if (stopping) return;
        consumerTag = (await ch.consume(topics.factQueue, take(ch), { noAck: false })).consumerTag;
      },
    },
  });
  connection.on('error', (error: Error) => onError(error));

  return {
    async stop() {
      stopping = true;
      const ch = channel;
      if (ch && consumerTag) await ch.cancel(consumerTag).catch(() => undefined);
      await working.catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}
