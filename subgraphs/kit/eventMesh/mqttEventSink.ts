import mqtt, { type MqttClient } from 'mqtt';
import { confirmWithin } from './confirmWithin.js';
import type { EventSink, OutboundEvent } from './EventSink.js';
import type { MeshTopics } from './meshTopics.js';

/** Options of {@link mqttEventSink}. */
export interface MqttEventSinkOptions {
  /** `mqtt://[user:password@]host:port`. */
  url: string;
  topics: MeshTopics;
  /** Client id; give each replica its own. @default `mesh-out-<random>` */
  clientId?: string;
  /** Also publish each state change retained on `…/state-changed/latest/<key>`. @default false */
  retainLatest?: boolean;
  /** How long a PUBACK may take before the publish counts as failed. @default 10000 */
  confirmTimeoutMs?: number;
}

/**
 * Publishes change events over MQTT 5 with QoS 1, in the CloudEvents MQTT binding's structured mode
 * (content type `application/cloudevents+json`, the envelope as payload) and the cursor as user property
 * `meshcursor`. The client reconnects by itself; a publish resolves on PUBACK.
 */
export async function mqttEventSink(options: MqttEventSinkOptions): Promise<EventSink> {
  const { url, topics, clientId = `mesh-out-${Math.random().toString(16).slice(2, 10)}`, retainLatest = false, confirmTimeoutMs = 10_000 } = options;
  const client: MqttClient = await mqtt.connectAsync(url, { protocolVersion: 5, clientId, clean: true, reconnectPeriod: 500, connectTimeout: 5_000 });
  client.on('error', () => undefined);
  const send = (topic: string, payload: Buffer, cursor: string, retain: boolean) =>
    confirmWithin(
      new Promise<void>((resolve, reject) =>
        client.publish(
          topic,
          payload,
          { qos: 1, retain, properties: { contentType: 'application/cloudevents+json', userProperties: { meshcursor: cursor } } },
          (error) => (error ? reject(error) : resolve()),
        ),
      ),
      confirmTimeoutMs,
      `MQTT publish to ${topic}`,
    );
  return {
    kind: 'mqtt',
    async publish({ event, stateKey }: OutboundEvent) {
      const payload = Buffer.from(JSON.stringify(event));
      const topic = topics.eventTopic(event.subject);
      await Promise.all([
        send(topic, payload, event.meshcursor, false),
        retainLatest && stateKey !== undefined ? send(topics.latestTopic(event.subject, stateKey), payload, event.meshcursor, true) : undefined,
      ]);
    },
    async close() {
      await client.endAsync(true);
    },
  };
}
