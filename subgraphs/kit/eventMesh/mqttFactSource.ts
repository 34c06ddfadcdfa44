import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { IngestReport } from '../ingest/ingestEvents.js';
import { decodeFact, type DeadLetterNotice } from './decodeFact.js';
import type { MeshTopics } from './meshTopics.js';

/** Options of {@link mqttFactSource}. */
export interface MqttFactSourceOptions {
  url: string;
  topics: MeshTopics;
  /** `DataProductRuntime.ingest`: validates, dedupes by source+id, commits. */
  ingest: (events: readonly unknown[]) => Promise<IngestReport>;
  /**
   * The persistent session's client id: the SAME id across restarts of one replica, so facts delivered
   * but not acknowledged before a crash come back; a different id per replica.
   */
  clientId: string;
  /** How long the broker keeps the session (and its unacknowledged facts) while the replica is away. @default 3600 */
  sessionExpirySeconds?: number;
  /** First pause before retrying a fact whose ingestion threw (store down); doubles up to 30 s. @default 500 */
  retryDelayMs?: number;
  /** Told about store and broker failures. @default console.error */
  onError?: (error: unknown) => void;
}

/** A running fact consumer. */
export interface FactSource {
  /** Stops taking facts; one being applied finishes, unacknowledged ones stay with the broker. */
  stop(): Promise<void>;
}

/**
 * Ingests facts producers publish to `mesh/<domain>/facts/<Type>` over MQTT 5: a persistent session
 * (clean start off) on the shared subscription `$share/<group>/…` at QoS 1, so replicas split the facts
 * and a broker or replica restart redelivers what was not acknowledged. The PUBACK is sent only after
 * ingestion reported the fact applied, duplicate, or rejected (then dead-lettered in the store AND on
 * `mesh/<domain>/dead-letter` with the reason); redeliveries are duplicates by source+id.
 */
export async function mqttFactSource(options: MqttFactSourceOptions): Promise<FactSource> {
  const {
    url,
    topics,
    ingest,
    clientId,
    sessionExpirySeconds = 3600,
    retryDelayMs = 500,
    onError = (e: unknown) => console.error('event mesh: MQTT facts', e),
  } = options;
  let stopping = false;
  let wake: (() => void) | null = null;
  const client: MqttClient = mqtt.connect(url, {
    protocolVersion: 5,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: sessionExpirySeconds },
    reconnectPeriod: 500,
    connectTimeout: 5_000,
    resubscribe: true,
    // A resumed session delivers its pending facts right after CONNACK: the handler must be in place first.
    manualConnect: true,
  });

  // Dead letters go out on a client of their own: this one's packet handling waits for the fact being
  // handled, so it could not take the PUBACK of a dead letter sent from inside the handler.
  const letters = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: `${clientId}-dead-letters`,
    clean: true,
    reconnectPeriod: 500,
    connectTimeout: 5_000,
  });
  letters.on('error', () => undefined);
  const deadLetter = async (notice: DeadLetterNotice) => {
    await letters.publishAsync(topics.deadLetterTopic, JSON.stringify(notice), {
      qos: 1,
      properties: { contentType: 'application/json', userProperties: { reason: notice.reason.slice(0, 1000) } },
    });
  };

  async function handle(packet: IPublishPacket): Promise<boolean> {
    const body = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const properties = packet.properties?.userProperties as Record<string, unknown> | undefined;
    const event = packet.properties?.contentType === 'application/cloudevents+json' ? decodeFact(body, undefined) : decodeFact(body, properties);
    let delay = retryDelayMs;
    for (;;) {
      try {
        const report = await ingest([event]);
        const outcome = report.events[0];
        if (outcome?.status === 'rejected') {
          await deadLetter({
            reason: outcome.reason,
            field: outcome.field,
            source: outcome.source,
            id: outcome.id,
            rejectedAt: new Date().toISOString(),
            body: body.toString('utf8').slice(0, 65_536),
          });
        }
        return true;
      } catch (error) {
        onError(error);
        if (stopping) return false;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        delay = Math.min(delay * 2, 30_000);
        if (stopping) return false;
      }
    }
  }

  // mqtt.js hands deliveries over one at a time and sends the PUBACK when the callback is called.
  client.handleMessage = (packet, callback) => {
    handle(packet).then(
      (acknowledge) => {
        // Without the callback no PUBACK goes out: the broker keeps the fact for the next session.
        if (acknowledge) callback();
      },
      (error) => onError(error),
    );
  };
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => {
      client.end(true);
      reject(error);
    };
    client.once('connect', () => {
      client.off('error', failed);
      client.on('error', (error) => onError(error));
      resolve();
    });
    client.once('error', failed);
    client.connect();
  });
  await client.subscribeAsync(`$share/${topics.shareGroup}/${topics.factTopicFilter}`, { qos: 1 });

  return {
    async stop() {
      stopping = true;
      wake?.();
      await client.endAsync(true);
      await letters.endAsync(true);
    },
  };
}
