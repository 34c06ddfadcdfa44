import mqtt, { type IPublishPacket, type ISubscriptionMap, type MqttClient } from 'mqtt';
import type { IngestReport } from '../ingest/ingestEvents.js';
import { abortablePause } from './abortablePause.js';
import { confirmWithin } from './confirmWithin.js';
import { deadLetterNotice } from './deadLetterNotice.js';
import { decodeFact } from './decodeFact.js';
import type { FactSource } from './FactSource.js';
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
  /**
   * The most facts per `ingest` call (one store transaction), and the MQTT 5 receive maximum: how many
   * unacknowledged facts the broker may send at once (a broker may allow fewer, Mosquitto's
   * `max_inflight_messages`).
   * @default 200
   */
  batchSize?: number;
  /** First pause before retrying a batch whose ingestion threw (store down); doubles up to 30 s; `stop()` cuts it short. @default 500 */
  retryDelayMs?: number;
  /** Told about store and broker failures (the source keeps going). @default console.error */
  onError?: (error: unknown) => void;
}

/** A fact as delivered, and on which connection: a PUBACK only means something on that one. */
interface Delivery {
  packet: IPublishPacket;
  connection: number;
}

/**
 * Ingests facts producers publish to `mesh/<domain>/facts/<Type>` over MQTT 5: a persistent session
 * (clean start off) on the shared subscription `$share/<group>/…` at QoS 1, so replicas split the facts
 * and a broker or replica restart redelivers what was not acknowledged. Facts that arrive while a batch
 * is committed go together in the next `ingest` call; each PUBACK is sent only after ingestion reported
 * the fact applied, duplicate, or rejected (then dead-lettered in the store AND on
 * `mesh/<domain>/dead-letter` with the reason); redeliveries are duplicates by source+id.
 */
export async function mqttFactSource(options: MqttFactSourceOptions): Promise<FactSource> {
  const {
    url,
    topics,
    ingest,
    clientId,
    sessionExpirySeconds = 3600,
    batchSize = 200,
    retryDelayMs = 500,
    onError = (e: unknown) => console.error('event mesh: MQTT facts', e),
  } = options;
  const stopping = new AbortController();
  let connection = 0;
  let pending: Delivery[] = [];
  let working: Promise<void> = Promise.resolve();
  let scheduled = false;
  const client: MqttClient = mqtt.connect(url, {
    protocolVersion: 5,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: sessionExpirySeconds, receiveMaximum: batchSize },
    reconnectPeriod: 500,
    connectTimeout: 5_000,
    resubscribe: true,
    // A resumed session delivers its pending facts right after CONNACK: the handler must be in place first.
    manualConnect: true,
  });
  const filter = `$share/${topics.shareGroup}/${topics.factTopicFilter}`;
  client.on('connect', () => {
    connection++;
    // What the last connection delivered and we did not acknowledge, the broker sends again.
    pending = [];
    // Subscribe again on every reconnection, even to a resumed session: Mosquitto 2.0 restores a session
    // from its persistence file without its shared subscriptions, and mqtt.js resubscribes only when the
    // broker reports no session. Subscribing again to a subscription the session has is harmless.
    if (connection > 1)
      // `resubscribe: true`, or mqtt.js skips a subscription it believes the session already has.
      client
        .subscribeAsync({ [filter]: { qos: 1 }, resubscribe: true } as unknown as ISubscriptionMap)
        .catch((error: unknown) => onError(new Error(`MQTT facts: resubscribing to ${filter} failed`, { cause: error })));
  });

  /**
   * mqtt.js handles incoming packets one at a time and sends a QoS 1 PUBACK when `handleMessage`'s callback
   * is called without an error: acknowledging after each commit would allow one fact per commit. So the
   * callback gets an error (the next packet is handled, no PUBACK goes out) and the PUBACK is sent here,
   * after the commit, on the connection that delivered the fact. mqtt.js has no public call for it.
   */
  const puback = ({ packet, connection: on }: Delivery) => {
    if (packet.qos === 0 || on !== connection || !client.connected) return; // the broker redelivers it: a duplicate
    (client as unknown as { _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode: number }): void })._sendPacket({
      cmd: 'puback',
      messageId: packet.messageId!,
      reasonCode: 0,
    });
  };

  const deadLetter = (outcome: Extract<IngestReport['events'][number], { status: 'rejected' }>, body: Buffer) => {
    const notice = deadLetterNotice(outcome, body);
    return confirmWithin(
      client.publishAsync(topics.deadLetterTopic, JSON.stringify(notice), {
        qos: 1,
        properties: { contentType: 'application/json', userProperties: { reason: notice.reason.slice(0, 1000) } },
      }),
      10_000,
      `MQTT dead letter to ${topics.deadLetterTopic}`,
    );
  };

  /** Ingests one batch (retrying while the store fails), then acknowledges each fact in arrival order. */
  async function apply(batch: Delivery[]): Promise<void> {
    const bodies = batch.map(({ packet }) => (Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)));
    const events = batch.map(({ packet }, i) =>
      packet.properties?.contentType === 'application/cloudevents+json'
        ? decodeFact(bodies[i], undefined)
        : decodeFact(bodies[i], packet.properties?.userProperties as Record<string, unknown> | undefined),
    );
    let delay = retryDelayMs;
    for (;;) {
      if (stopping.signal.aborted) return; // unacknowledged: the broker keeps them for the next session
      try {
        const report = await ingest(events);
        await Promise.all(report.events.flatMap((o) => (o.status === 'rejected' ? [deadLetter(o, bodies[o.index])] : []))).catch(onError);
        const answered = new Set(report.events.map((o) => o.index));
        for (const [index, delivery] of batch.entries()) if (answered.has(index)) puback(delivery);
        return;
      } catch (error) {
        onError(new Error(`MQTT facts: ingesting ${batch.length} fact(s) failed; retrying in ${delay} ms`, { cause: error }));
        await abortablePause(delay, stopping.signal);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  async function drain(): Promise<void> {
    scheduled = false;
    while (pending.length) {
      const batch = pending.splice(0, batchSize).filter((d) => d.connection === connection);
      if (batch.length) await apply(batch);
    }
  }

  client.handleMessage = (packet, callback) => {
    pending.push({ packet, connection });
    callback(new Error('acknowledged after the store commit'));
    if (scheduled) return;
    scheduled = true;
    // The chain never rejects (a rejected link would skip every later batch): a failure is logged, it goes on.
    working = working.then(drain).catch((error: unknown) => onError(new Error('MQTT facts: a batch failed; the broker redelivers it', { cause: error })));
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
  await client.subscribeAsync(filter, { qos: 1 });

  return {
    async stop() {
      stopping.abort();
      await working;
      await client.endAsync(true);
    },
  };
}
