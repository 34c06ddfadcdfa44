import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { delay, nanos, type NatsConnection } from '@nats-io/transport-node';
import { assertNamespace, domainStreamName, namespaceSubjectPrefix } from '../bus/jetStreamStream.js';
import { subjectToken } from './changeSubjects.js';
import type { IngestReport } from './ingestEvents.js';

/** Options of {@link consumeFacts}. */
export interface ConsumeFactsOptions {
  /** An open NATS connection (e.g. `JetStreamBus.connection`); it must outlive the consumer. */
  connection: NatsConnection;
  /** The domain: facts are read from `mesh.<domain>.facts.>` in the stream `MESH_<DOMAIN>` (`JetStreamBus.connect` creates it). */
  domain: string;
  /**
   * The bus namespace (`JetStreamBusOptions.namespace`): facts are then read from
   * `<namespace>.mesh.<domain>.facts.>` in the stream `MESH_<NAMESPACE>_<DOMAIN>`.
   * @default none
   */
  namespace?: string;
  /**
   * Ingests a batch (`DataProductRuntime.ingest`): one outcome per event, idempotent by source+id, so a
   * redelivered fact is a harmless duplicate. Throwing (store down) applies nothing; the batch is
   * negatively acknowledged and comes back after `retryDelayMs`.
   */
  ingest: (events: readonly unknown[]) => Promise<IngestReport>;
  /**
   * Most facts per `ingest` call (one store transaction). Facts that arrive while a batch is being applied
   * are taken together in the next one.
   * @default 100
   */
  batchSize?: number;
  /**
   * The durable consumer every replica of the subgraph shares: each fact goes to one replica, and what
   * was not acknowledged before a crash is delivered again.
   * @default `mesh-<domain>-ingest`
   */
  durableName?: string;
  /**
   * How long a delivered fact may stay unacknowledged before JetStream gives it to another replica.
   * Used when the durable consumer is created.
   * @default 30000
   */
  ackWaitMs?: number;
  /**
   * Delay before a batch whose `ingest` threw is delivered again; doubles with each redelivery, capped at
   * one minute.
   * @default 5000
   */
  retryDelayMs?: number;
  /** Told about `ingest` exceptions and consumer failures (the loop keeps going). @default console.error */
  onError?: (error: unknown) => void;
}

/** A running fact consumer. */
export interface FactConsumer {
  /** Finishes the batch in progress, returns unprocessed facts to the broker at once, and stops. */
  stop(): Promise<void>;
}

/** Subject a producer publishes a fact of `type` to (the JSON body is the CloudEvent), in the bus namespace if any. */
export function factSubject(domain: string, type: string, namespace?: string): string {
  return `${namespaceSubjectPrefix(namespace)}mesh.${domain}.facts.${subjectToken(type)}`;
}

const MAX_RETRY_DELAY_MS = 60_000;
/** Pull expiry: bounds how long the client waits to notice a broker restart on an idle consumer. */
const PULL_EXPIRES_MS = 5_000;

/**
 * Ingests the facts producers publish to the broker, through a DURABLE pull consumer with explicit acks
 * (nothing is lost across restarts; N replicas share the work). A fact is acknowledged once ingestion
 * reported an outcome for it — applied, duplicate, or rejected (ingestion dead-lettered it). A body that
 * is not JSON is passed on as its raw text, which validation rejects and dead-letters.
 */
export async function consumeFacts(options: ConsumeFactsOptions): Promise<FactConsumer> {
  const {
    connection,
    domain,
    namespace,
    ingest,
    batchSize = 100,
    durableName = `mesh-${domain}-ingest`,
    ackWaitMs = 30_000,
    retryDelayMs = 5_000,
    onError = (e: unknown) => console.error('fact ingestion failed', e),
  } = options;
  assertNamespace(namespace);
  const stream = domainStreamName(domain, namespace);
  const jsm = await jetstreamManager(connection);
  await ensureDurable(jsm, stream, durableName, { filter: `${namespaceSubjectPrefix(namespace)}mesh.${domain}.facts.>`, ackWaitMs });
  const js = jetstream(connection);

  const buffered: JsMsg[] = [];
  let stopping = false;
  let messages: ConsumerMessages | null = null;
  // Wakes the waiting side: the applier when facts arrive, the reader when the buffer has room.
  let wake: (() => void) | null = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const waitForSignal = () => new Promise<void>((resolve) => (wake = resolve));

  const retryDelay = (m: JsMsg) => Math.min(retryDelayMs * 2 ** Math.max(0, m.info.deliveryCount - 1), MAX_RETRY_DELAY_MS);

  async function apply(batch: JsMsg[]): Promise<void> {
    let report: IngestReport;
    try {
      report = await ingest(batch.map(decodeFact));
    } catch (error) {
      onError(error);
      for (const m of batch) m.nak(retryDelay(m));
      return;
    }
    const answered = new Set(report.events.map((o) => o.index));
    for (const [index, m] of batch.entries()) {
      if (answered.has(index)) m.ack();
      else m.nak(retryDelay(m));
    }
  }

  // Reads the consumer lazily: the client sends the next pull only as we iterate, so holding the buffer at
  // two batches keeps facts from waiting here past their ack deadline.
  const reader = (async () => {
    while (!stopping && !connection.isClosed()) {
      try {
        const consumer = await js.consumers.get(stream, durableName);
        messages = await consumer.consume({ max_messages: batchSize, expires: PULL_EXPIRES_MS });
        for await (const m of messages) {
          // After stop() the client still yields what it had queued: hand those back at once.
          if (stopping) {
            m.nak();
            continue;
          }
          buffered.push(m);
          signal();
          while (buffered.length >= 2 * batchSize && !stopping) await waitForSignal();
        }
      } catch (error) {
        if (!stopping) onError(error);
      }
      if (!stopping) await delay(1_000);
    }
  })();

  const applier = (async () => {
    for (;;) {
      if (buffered.length === 0) {
        if (stopping) return;
        await waitForSignal();
        continue;
      }
      await apply(buffered.splice(0, batchSize));
      signal();
    }
  })();

  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      // Unprocessed facts go back now rather than after the ack wait, then the batch in progress finishes.
      const unprocessed = buffered.splice(0);
      messages?.stop();
      signal();
      for (const m of unprocessed) m.nak();
      await Promise.all([reader, applier]);
    },
  };
}

/** The CloudEvent in a message body; a body that is not JSON stays text so validation dead-letters it. */
function decodeFact(m: JsMsg): unknown {
  const text = m.string();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Creates the shared durable consumer unless a replica already did. Only nats-server 2.9 settings. */
async function ensureDurable(jsm: JetStreamManager, stream: string, durable: string, wanted: { filter: string; ackWaitMs: number }): Promise<void> {
  const exists = async () => {
    try {
      await jsm.consumers.info(stream, durable);
      return true;
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) return false;
      throw error;
    }
  };
  if (await exists()) return;
  try {
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: wanted.filter,
      ack_wait: nanos(wanted.ackWaitMs),
      // Never give up on a fact: a long store outage only delays it.
      max_deliver: -1,
    });
  } catch (error) {
    // Two replicas starting together: the other one's create won.
    if (!(await exists())) throw error;
  }
}
