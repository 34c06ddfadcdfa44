import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { confirmWithin } from './confirmWithin.js';
import type { EventSink, OutboundEvent } from './EventSink.js';
import type { MeshTopics } from './meshTopics.js';

/** Options of {@link amqpEventSink}. */
export interface AmqpEventSinkOptions {
  /** `amqp://user:password@host:port[/vhost]`. */
  url: string;
  topics: MeshTopics;
  /** How long a publisher confirm may take before the publish counts as failed. @default 10000 */
  confirmTimeoutMs?: number;
}

/**
 * Publishes change events over AMQP 0-9-1 to the product's durable topic exchange (routing key = the bus
 * subject), persistent, structured CloudEvents (`application/cloudevents+json`, `messageId` = event id,
 * header `x-mesh-cursor`); a publish resolves on the publisher confirm. The connection recovers by itself.
 */
export async function amqpEventSink(options: AmqpEventSinkOptions): Promise<EventSink> {
  const { url, topics, confirmTimeoutMs = 10_000 } = options;
  let channel: ConfirmChannel | null = null;
  const connection = await amqp.connect(url, {
    recovery: {
      initialDelay: 200,
      maxDelay: 5_000,
      initialMaxRetries: 3,
      async setup(model: ChannelModel) {
        const created = await model.createConfirmChannel();
        created.on('error', () => undefined);
        created.on('close', () => {
          if (channel === created) channel = null;
        });
        await created.assertExchange(topics.exchange, 'topic', { durable: true });
        channel = created;
      },
    },
  });
  connection.on('error', () => undefined);
  return {
    kind: 'amqp',
    async publish({ event }: OutboundEvent) {
      const current = channel;
      if (!current) throw new Error('AMQP broker not connected');
      await confirmWithin(
        new Promise<void>((resolve, reject) => {
          current.publish(
            topics.exchange,
            topics.routingKey(event.subject),
            Buffer.from(JSON.stringify(event)),
            { persistent: true, contentType: 'application/cloudevents+json', messageId: event.id, headers: { 'x-mesh-cursor': event.meshcursor } },
            (error) => (error ? reject(error instanceof Error ? error : new Error('AMQP broker refused the message')) : resolve()),
          );
        }),
        confirmTimeoutMs,
        `AMQP publish to ${topics.exchange}`,
      );
    },
    async close() {
      channel = null;
      await connection.close().catch(() => undefined);
    },
  };
}
