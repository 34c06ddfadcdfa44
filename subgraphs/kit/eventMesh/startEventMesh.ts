import { randomBytes } from 'node:crypto';
import { JetStreamBus } from '../bus/JetStreamBus.js';
import type { DataProductRuntime } from '../DataProductRuntime.js';
import type { OutputPort } from '../descriptor.js';
import { amqpEventSink } from './amqpEventSink.js';
import { amqpFactSource } from './amqpFactSource.js';
import { bridgeStateStream, type BridgeStateStream } from './bridgeStateStream.js';
import { memoryCheckpoint } from './CursorCheckpoint.js';
import { electLeader, type LeaderElection } from './electLeader.js';
import { redactUrl, type EventMeshConfig } from './EventMeshConfig.js';
import type { EventSink } from './EventSink.js';
import type { FactSource } from './FactSource.js';
import { meshTopics } from './meshTopics.js';
import { mqttEventSink } from './mqttEventSink.js';
import { mqttFactSource } from './mqttFactSource.js';
import { outboundRedaction } from './outboundRedaction.js';
import { relayChangeEvents, type ChangeEventRelay } from './relayChangeEvents.js';
import type { EventMeshMetrics } from './eventMeshMetrics.js';

/** Options of {@link startEventMesh}. */
export interface StartEventMeshOptions {
  config: EventMeshConfig;
  /** The bus namespace: every topic, exchange and queue name starts with it. @default none */
  namespace?: string;
  /** This replica's name in its MQTT client ids and in the outbound leader lease (stable across its restarts). */
  replicaId: string;
  /** Told about broker, store and relay failures (the bridge keeps going). @default console.error */
  onError?: (error: unknown) => void;
  /** Where the relays and the leader election report (`eventMeshMetrics`, the product's registry). @default none */
  metrics?: EventMeshMetrics;
}

/** A running bridge. */
export interface RunningEventMesh {
  /** The descriptor's event-mesh ports. */
  ports: OutputPort[];
  /** The outbound relays running now: one per broker on the leader, none on the other replicas. */
  readonly relays: readonly ChangeEventRelay[];
  /** Whether this replica publishes the change events now (always with the in-process bus). */
  readonly leading: boolean;
  /** Stops inbound, then outbound (saving the relay positions, releasing the leader lease), then the connections. */
  stop(): Promise<void>;
}

/**
 * Bridges a data product to the configured MQTT and AMQP brokers: its change events out (from the bus,
 * resumable) and facts in (through `DataProductRuntime.ingest`, like `POST /events`). Fails when a
 * broker cannot be reached at start, after closing what it opened.
 *
 * Outbound, every replica would publish every change event of a shared bus. On the JetStream bus the
 * replicas therefore elect one publisher per product with a lease on JetStream itself
 * (`bridgeStateStream.ts`), and keep the relay checkpoints there too, so a new leader resumes where the
 * last one's broker confirmations ended. With the in-process bus each replica's bus carries only its own
 * change events, so each one relays its own (always leader, checkpoint in memory).
 */
export async function startEventMesh(runtime: DataProductRuntime, options: StartEventMeshOptions): Promise<RunningEventMesh> {
  const { config, namespace, replicaId, metrics, onError = (e: unknown) => console.error(`${runtime.domain} event mesh:`, e) } = options;
  const { domain } = runtime;
  const topics = meshTopics(domain, namespace);
  const redaction = outboundRedaction(runtime.definition.typeDefs, config.audience);
  const sinks: EventSink[] = [];
  const sources: FactSource[] = [];
  let relays: ChangeEventRelay[] = [];
  let election: LeaderElection | null = null;
  let state: BridgeStateStream | null = null;
  const ports: OutputPort[] = [];
  const ingest = (events: readonly unknown[]) => runtime.ingest(events);
  const startRelays = async () => {
    relays = sinks.map((sink) =>
      relayChangeEvents({
        domain,
        namespace,
        bus: runtime.bus,
        busFilter: topics.busFilter,
        sink,
        checkpoint: state ? state.checkpoint(sink.kind) : memoryCheckpoint(),
        redaction,
        onError,
        onConfirmed: (message) => metrics?.relayed(sink.kind, (Date.now() - message.publishedAt.getTime()) / 1000),
        onFailed: () => metrics?.relayFailed(sink.kind),
      }),
    );
    metrics?.leading(relays.length > 0);
  };
  const stopRelays = async () => {
    const stopping = relays;
    relays = [];
    metrics?.leading(false);
    await Promise.all(stopping.map((r) => r.stop()));
  };
  const stop = async () => {
    await Promise.all(sources.map((s) => s.stop()));
    if (election) await election.close();
    else await stopRelays();
    await Promise.all(sinks.map((s) => s.close()));
  };
  try {
    for (const broker of config.brokers) {
      const shown = redactUrl(broker.url);
      const outbound = config.outbound !== false;
      /** The broker's outbound port, when this product publishes there. */
      const outboundPort = (binding: 'cloudevents-mqtt-structured' | 'cloudevents-amqp-structured', topic: string) =>
        outbound
          ? [
              {
                kind: 'event-mesh',
                direction: 'out',
                broker: shown,
                binding,
                topic,
                audience: config.audience?.name ?? null,
                withheld: redaction.withheld,
              } as const,
            ]
          : [];
      if (broker.kind === 'mqtt') {
        sources.push(await mqttFactSource({ url: broker.url, topics, ingest, clientId: `${topics.shareGroup}-in-${replicaId}`, onError }));
        if (outbound)
          sinks.push(await mqttEventSink({ url: broker.url, topics, retainLatest: config.retainLatest, clientId: `${topics.shareGroup}-out-${replicaId}` }));
        ports.push(
          ...outboundPort('cloudevents-mqtt-structured', topics.eventTopicFilter),
          { kind: 'event-mesh', direction: 'in', broker: shown, binding: 'cloudevents-mqtt', topic: topics.factTopic('<Type>') },
          { kind: 'event-mesh', direction: 'dead-letter', broker: shown, binding: 'json', topic: topics.deadLetterTopic },
        );
      } else {
        sources.push(await amqpFactSource({ url: broker.url, topics, ingest, onError }));
        if (outbound) sinks.push(await amqpEventSink({ url: broker.url, topics }));
        ports.push(
          ...outboundPort('cloudevents-amqp-structured', `exchange ${topics.exchange} (topic), routing key ${topics.routingKey(`mesh.${domain}.v1.#`)}`),
          { kind: 'event-mesh', direction: 'in', broker: shown, binding: 'cloudevents-amqp', topic: `queue ${topics.factQueue}` },
          { kind: 'event-mesh', direction: 'dead-letter', broker: shown, binding: 'json', topic: `queue ${topics.deadLetterQueue}` },
        );
      }
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  if (sinks.length && runtime.bus instanceof JetStreamBus) {
    try {
      state = await bridgeStateStream(runtime.bus.connection, domain, namespace);
    } catch (error) {
      await stop().catch(() => undefined);
      throw error;
    }
    election = electLeader({
      lease: state.lease,
      // Unique per start: a restarted replica must not mistake its previous life's lease for its own.
      holder: `${replicaId}-${randomBytes(4).toString('hex')}`,
      ttlMs: config.leaderLeaseMs,
      onElected: startRelays,
      onDemoted: stopRelays,
      onError,
    });
  } else await startRelays();
  return {
    ports,
    get relays() {
      return relays;
    },
    get leading() {
      return election ? election.leading : relays.length > 0;
    },
    stop,
  };
}
