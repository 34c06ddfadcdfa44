/**
 * The bridge keeps going after a failure: a failed checkpoint save, a batch whose handling threw, a store
 * that is down. Each failure is logged with a clear message and later work still happens; `stop()` cuts a
 * retry pause short instead of waiting it out.
 */
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { InProcessBus } from '../../subgraphs/kit/bus/InProcessBus.js';
import type { IngestReport } from '../../subgraphs/kit/ingest/ingestEvents.js';
import { amqpFactSource } from '../../subgraphs/kit/eventMesh/amqpFactSource.js';
import type { CursorCheckpoint } from '../../subgraphs/kit/eventMesh/CursorCheckpoint.js';
import type { EventSink, OutboundEvent } from '../../subgraphs/kit/eventMesh/EventSink.js';
import { meshTopics } from '../../subgraphs/kit/eventMesh/meshTopics.js';
import { mqttFactSource } from '../../subgraphs/kit/eventMesh/mqttFactSource.js';
import { relayChangeEvents } from '../../subgraphs/kit/eventMesh/relayChangeEvents.js';
import { deferred, waitFor } from '../support/asyncWait.js';
import { amqpUrl, describeWithBroker, mqttUrl } from '../support/brokersAvailable.js';
import { uniqueNamespace } from '../support/testNamespace.js';
import { orderPlaced } from './meshHarness.js';

/** An ingest that accepts everything and remembers the fact ids, in order of arrival. */
function recordingIngest() {
  const ids: string[] = [];
  const ingest = async (events: readonly unknown[]): Promise<IngestReport> => {
    ids.push(...events.map((e) => (e as { id: string }).id));
    return {
      applied: events.length,
      duplicates: 0,
      rejected: 0,
      events: events.map((e, index) => ({ index, status: 'applied', source: 'urn:test', id: (e as { id: string }).id })),
    };
  };
  return { ids, ingest };
}

describe('relay checkpoint saves', () => {
  it('should log a failed save and save the newer cursor on the next confirmation', async () => {
    const bus = new InProcessBus();
    const published: OutboundEvent[] = [];
    const sink: EventSink = { kind: 'mqtt', publish: async (o) => void published.push(o), close: async () => undefined };
    const saves: string[] = [];
    let failNext = true;
    const checkpoint: CursorCheckpoint = {
      load: async () => undefined,
      save: async (cursor) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        saves.push(cursor);
      },
    };
    const errors: Error[] = [];
    const relay = relayChangeEvents({
      domain: 'orders',
      bus,
      busFilter: 'mesh.orders.v1.>',
      sink,
      checkpoint,
      redaction: { withheld: [], redact: (d) => d },
      onError: (e) => errors.push(e as Error),
    });
    try {
      await waitFor(() => (bus as unknown as { subscribers: Set<unknown> }).subscribers.size === 1, 'the relay subscription');
      await bus.publish('mesh.orders.v1.order.state-changed', { key: 'a' });
      await waitFor(() => errors.length === 1, 'the failed save');
      expect(errors[0].message).toMatch(/saving the mqtt relay checkpoint failed \(cursor 1\)/);
      expect((errors[0].cause as Error).message).toBe('disk full');
      const second = await bus.publish('mesh.orders.v1.order.state-changed', { key: 'b' });
      await waitFor(() => saves.includes(second), 'the save after the failed one');
      expect(published.map((o) => o.event.meshcursor)).toEqual(['1', '2']);
    } finally {
      await relay.stop();
      await bus.close();
    }
  });
});

describeWithBroker('amqp', 'AMQP fact source failures', () => {
  const topics = meshTopics('orders', uniqueNamespace());
  let producer: amqp.ChannelModel;
  let channel: amqp.ConfirmChannel;
  const send = async (fact: unknown) => {
    channel.sendToQueue(topics.factQueue, Buffer.from(JSON.stringify(fact)), { persistent: true, contentType: 'application/cloudevents+json' });
    await channel.waitForConfirms();
  };
  beforeAll(async () => {
    producer = await amqp.connect(amqpUrl);
    channel = await producer.createConfirmChannel();
    await channel.assertQueue(topics.factQueue, { durable: true });
  });
  afterAll(async () => {
    for (const queue of [topics.factQueue, topics.deadLetterQueue]) await channel.deleteQueue(queue);
    await producer.close();
  });

  it('should log a batch whose handling threw, requeue it and keep taking facts', async () => {
    const recorded = recordingIngest();
    let calls = 0;
    const errors: Error[] = [];
    const source = await amqpFactSource({
      url: amqpUrl,
      topics,
      // The first answer is broken (no outcomes): handling the batch throws after ingestion.
      ingest: async (events) => (++calls === 1 ? ({} as IngestReport) : recorded.ingest(events)),
      onError: (e) => errors.push(e as Error),
    });
    try {
      await send(orderPlaced('amqp-f1', 5));
      await waitFor(() => recorded.ids.includes('evt-amqp-f1'), 'the requeued fact', 10_000);
      expect(errors[0].message).toMatch(/AMQP facts: a batch of 1 failed; its unacknowledged facts go back to the queue/);
      await send(orderPlaced('amqp-f2', 5));
      await waitFor(() => recorded.ids.includes('evt-amqp-f2'), 'a later fact', 10_000);
    } finally {
      await source.stop();
    }
  });

  it('should stop promptly during a retry pause', async () => {
    const failed = deferred();
    const source = await amqpFactSource({
      url: amqpUrl,
      topics,
      retryDelayMs: 60_000,
      ingest: async () => {
        failed.resolve();
        throw new Error('store down');
      },
      onError: () => undefined,
    });
    await send(orderPlaced('amqp-pause', 5));
    await failed.promise;
    const started = Date.now();
    await source.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
    // The fact went back to the queue: another consumer gets it.
    const recorded = recordingIngest();
    const next = await amqpFactSource({ url: amqpUrl, topics, ingest: recorded.ingest });
    try {
      await waitFor(() => recorded.ids.includes('evt-amqp-pause'), 'the fact after the stop', 10_000);
    } finally {
      await next.stop();
    }
  });
});

describeWithBroker('mqtt', 'MQTT fact source failures', () => {
  // Each test has its own topics: Mosquitto queues a share of the facts for a stopped member's session.
  let topics = meshTopics('orders', uniqueNamespace());
  let clientId = '';
  beforeEach(() => {
    topics = meshTopics('orders', uniqueNamespace());
    clientId = `${topics.shareGroup}-failures`;
  });
  const send = async (fact: { id: string }) => {
    const client = await mqtt.connectAsync(mqttUrl, { protocolVersion: 5 });
    await client.publishAsync(topics.factTopic('OrderPlaced'), JSON.stringify(fact), { qos: 1, properties: { contentType: 'application/cloudevents+json' } });
    await client.endAsync();
  };

  it('should log a batch whose ingestion threw and retry it', async () => {
    const recorded = recordingIngest();
    let calls = 0;
    const errors: Error[] = [];
    const source = await mqttFactSource({
      url: mqttUrl,
      topics,
      clientId: `${clientId}-retry`,
      sessionExpirySeconds: 5,
      retryDelayMs: 20,
      ingest: async (events) => {
        if (++calls === 1) throw new Error('store down');
        return recorded.ingest(events);
      },
      onError: (e) => errors.push(e as Error),
    });
    try {
      await send(orderPlaced('mqtt-f1', 5));
      await waitFor(() => recorded.ids.includes('evt-mqtt-f1'), 'the retried fact', 10_000);
      expect(errors[0].message).toBe('MQTT facts: ingesting 1 fact(s) failed; retrying in 20 ms');
      await send(orderPlaced('mqtt-f2', 5));
      await waitFor(() => recorded.ids.includes('evt-mqtt-f2'), 'a later fact', 10_000);
    } finally {
      await source.stop();
    }
  });

  it('should stop promptly during a retry pause and get the unacknowledged fact again', async () => {
    const failed = deferred();
    const source = await mqttFactSource({
      url: mqttUrl,
      topics,
      clientId: `${clientId}-pause`,
      sessionExpirySeconds: 30,
      retryDelayMs: 60_000,
      ingest: async () => {
        failed.resolve();
        throw new Error('store down');
      },
      onError: () => undefined,
    });
    await send(orderPlaced('mqtt-pause', 5));
    await failed.promise;
    const started = Date.now();
    await source.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
    // Not acknowledged: the persistent session hands it to the replica when it comes back.
    const recorded = recordingIngest();
    const again = await mqttFactSource({ url: mqttUrl, topics, clientId: `${clientId}-pause`, sessionExpirySeconds: 1, ingest: recorded.ingest });
    try {
      await waitFor(() => recorded.ids.includes('evt-mqtt-pause'), 'the fact after the restart', 10_000);
    } finally {
      await again.stop();
    }
  });
});
