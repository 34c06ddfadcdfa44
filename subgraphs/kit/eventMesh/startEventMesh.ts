import path from 'node:path';
import type { DataProductRuntime } from '../DataProductRuntime.js';
import type { OutputPort } from '../descriptor.js';
import { amqpEventSink } from './amqpEventSink.js';
import { amqpFactSource } from './amqpFactSource.js';
import { fileCheckpoint, memoryCheckpoint } from './CursorCheckpoint.js';
import { redactUrl, type EventMeshConfig } from './EventMeshConfig.js';
import type { EventSink } from './EventSink.js';
import type { FactSource } from './FactSource.js';
import { meshTopics } from './meshTopics.js';
import { mqttEventSink } from './mqttEventSink.js';
import { mqttFactSource } from './mqttFactSource.js';
import { outboundRedaction } from './outboundRedaction.js';
import { relayChangeEvents, type ChangeEventRelay } from './relayChangeEvents.js';

/** Options of {@link startEventMesh}. */
export interface StartEventMeshOptions {
  config: EventMeshConfig;
  /** The bus namespace: every topic, exchange and queue name starts with it. @default none */
  namespace?: string;
  /** Whether the bus keeps cursors across restarts (JetStream); only then is the relay position saved to a file. */
  durableBus: boolean;
  /** This replica's name in its MQTT client ids (stable across its restarts). */
  replicaId: string;
  /** Told about broker, store and relay failures (the bridge keeps going). @default console.error */
  onError?: (error: unknown) => void;
}

/** A running bridge. */
export interface RunningEventMesh {
  /** The descriptor's event-mesh ports. */
  ports: OutputPort[];
  relays: ChangeEventRelay[];
  /** Stops inbound, then outbound (saving the relay positions), then the connections. */
  stop(): Promise<void>;
}

/**
 * Bridges a data product to the configured MQTT and AMQP brokers: its change events out (from the bus,
 * resumable) and facts in (through `DataProductRuntime.ingest`, like `POST /events`). Fails when a
 * broker cannot be reached at start, after closing what it opened.
 */
export async function startEventMesh(runtime: DataProductRuntime, options: StartEventMeshOptions): Promise<RunningEventMesh> {
  const { config, namespace, durableBus, replicaId, onError = (e: unknown) => console.error(`${runtime.domain} event mesh:`, e) } = options;
  const { domain } = runtime;
  const topics = meshTopics(domain, namespace);
  const redaction = outboundRedaction(runtime.definition.typeDefs, config.audience);
  const sinks: EventSink[] = [];
  const sources: FactSource[] = [];
  const relays: ChangeEventRelay[] = [];
  const ports: OutputPort[] = [];
  const ingest = (events: readonly unknown[]) => runtime.ingest(events);
  const stop = async () => {
    await Promise.all(sources.map((s) => s.stop()));
    await Promise.all(relays.map((r) => r.stop()));
    await Promise.all(sinks.map((s) => s.close()));
  };
  try {
    for (const broker of config.brokers) {
      const shown = redactUrl(broker.url);
      const outbound = config.outbound !== false;
      if (broker.kind === 'mqtt') {
        sources.push(await mqttFactSource({ url: broker.url, topics, ingest, clientId: `${topics.shareGroup}-in-${replicaId}`, onError }));
        if (outbound)
          sinks.push(await mqttEventSink({ url: broker.url, topics, retainLatest: config.retainLatest, clientId: `${topics.shareGroup}-out-${replicaId}` }));
        ports.push(
          ...(outbound
            ? [
                {
                  kind: 'event-mesh',
                  direction: 'out',
                  broker: shown,
                  binding: 'cloudevents-mqtt-structured',
                  topic: topics.eventTopicFilter,
                  audience: config.audience?.name ?? null,
                  withheld: redaction.withheld,
                } as const,
              ]
            : []),
          { kind: 'event-mesh', direction: 'in', broker: shown, binding: 'cloudevents-mqtt', topic: topics.factTopic('<Type>') },
          { kind: 'event-mesh', direction: 'dead-letter', broker: shown, binding: 'json', topic: topics.deadLetterTopic },
        );
      } else {
        sources.push(await amqpFactSource({ url: broker.url, topics, ingest, onError }));
        if (outbound) sinks.push(await amqpEventSink({ url: broker.url, topics }));
        ports.push(
          ...(outbound
            ? [
                {
                  kind: 'event-mesh',
                  direction: 'out',
                  broker: shown,
                  binding: 'cloudevents-amqp-structured',
                  topic: `exchange ${topics.exchange} (topic), routing key ${topics.routingKey(`mesh.${domain}.v1.#`)}`,
                  audience: config.audience?.name ?? null,
                  withheld: redaction.withheld,
                } as const,
              ]
            : []),
          { kind: 'event-mesh', direction: 'in', broker: shown, binding: 'cloudevents-amqp', topic: `queue ${topics.factQueue}` },
          { kind: 'event-mesh', direction: 'dead-letter', broker: shown, binding: 'json', topic: `queue ${topics.deadLetterQueue}` },
        );
      }
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  for (const sink of sinks) {
    const file = path.join(config.checkpointDir, `${namespace ? `${namespace}-` : ''}${domain}.${sink.kind}.cursor`);
    relays.push(
      relayChangeEvents({
        domain,
        bus: runtime.bus,
        busFilter: topics.busFilter,
        sink,
        checkpoint: durableBus ? fileCheckpoint(file) : memoryCheckpoint(),
        redaction,
        onError,
      }),
    );
  }
  return { ports, relays, stop };
}
