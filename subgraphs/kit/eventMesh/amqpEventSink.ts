import { amqpConfirmChannel } from './amqpConfirmChannel.js';
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
  const channel = await amqpConfirmChannel({
    url,
    setup: async (created) => void (await created.assertExchange(topics.exchange, 'topic', { durable: true })),
  });
  return {
    kind: 'amqp',
    async publish({ event }: OutboundEvent) {
      const current = channel.current;
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
    close: () => channel.close(),
  };
}
