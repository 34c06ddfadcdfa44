/**
 * A broker restart loses no acknowledged fact. Producers publish facts while the broker goes away and
 * comes back; every fact the broker acknowledged to its producer (MQTT PUBACK / AMQP publisher confirm)
 * ends up in the store exactly once, and facts published after the restart still arrive: the bridge
 * reconnected and resubscribed by itself.
 *
 * MQTT: a Mosquitto of the test's own (persistence on, restarted with SIGTERM like a service restart).
 * AMQP: a private RabbitMQ takes many seconds to boot on a shared machine, so a loopback proxy in front of
 * the shared one is cut and restored; for the bridge it is a broker restart (every connection drops,
 * unacknowledged deliveries go back to the durable queue), while the queue itself lives on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { meshTopics } from '../../subgraphs/kit/eventMesh/meshTopics.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import { deferred } from '../support/asyncWait.js';
import { amqpUrl, describeWithBroker, startTcpProxy } from '../support/brokersAvailable.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';
import { uniqueNamespace } from '../support/testNamespace.js';
import { MINUTE, orderPlaced } from './meshHarness.js';
import { mosquittoInstalled, startPrivateMosquitto } from './privateMosquitto.js';

const BATCH = 60;

/** Waits until the store holds `count` facts (or the deadline passes), then checks every acknowledged one is there once. */
async function expectEveryAcknowledgedFactOnce(subgraph: RunningSubgraph, acknowledged: string[], sent: string[]): Promise<void> {
  const { store } = subgraph.runtime;
  const deadline = Date.now() + 30_000;
  while ((await store.factCount()) < acknowledged.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const present = new Set((await store.readStates('order', sent)).map((row) => row.key));
  expect(acknowledged.filter((id) => !present.has(id))).toEqual([]);
  // Once each: as many facts as distinct orders, and the rollup counted each order once.
  expect(await store.factCount()).toBe(present.size);
  const from = new Date(Math.floor((Date.now() - 3 * 60 * MINUTE) / MINUTE) * MINUTE);
  const [row] = await store.queryBuckets({
    rollup: 'sales',
    grain: 'minute',
    boundaries: [from, new Date(from.getTime() + 4 * 60 * MINUTE)],
    groupBy: [],
    filter: {},
  });
  expect(row.values.orders).toBe(present.size);
}

/**
 * Holds the bridge's ingestion until `open()`: the broker then restarts while the bridge has facts
 * delivered but not acknowledged, and more queued, which is the moment a restart could lose some.
 */
function holdIngestion(subgraph: RunningSubgraph): { open(): void } {
  const gate = deferred();
  const { runtime } = subgraph;
  const ingest = runtime.ingest.bind(runtime);
  runtime.ingest = async (events) => {
    await gate.promise;
    return ingest(events);
  };
  return { open: () => gate.resolve() };
}

const describeWithMosquitto = mosquittoInstalled ? describe : describe.skip;
if (!mosquittoInstalled) console.warn('⚠ mosquitto not installed — skipping "a Mosquitto restart"');

describeWithMosquitto('a Mosquitto restart', () => {
  it('should keep every fact Mosquitto acknowledged, once, and take new facts after the restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mesh-restart-'));
    const broker = await startPrivateMosquitto();
    const namespace = uniqueNamespace();
    const topics = meshTopics('orders', namespace);
    const subgraph = await startSubgraph(testSubgraphConfig('orders', dir, { namespace, eventMesh: { brokers: [{ kind: 'mqtt', url: broker.url }] } }));
    const producer = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: `${namespace}-producer`, reconnectPeriod: 100 });
    producer.on('error', () => undefined);
    // A PUBACK with reason 0x10 (No matching subscribers) says the broker took the fact to nobody: between
    // a Mosquitto 2.0 restart and the bridge's resubscription (the persisted session comes back without its
    // shared subscription). mqtt.js resolves such a publish, so the producer reads the PUBACKs itself.
    const orderOfPacket = new Map<number, string>();
    const unrouted = new Set<string>();
    producer.on('packetsend', (packet) => {
      if (packet.cmd === 'publish' && packet.messageId !== undefined) orderOfPacket.set(packet.messageId, JSON.parse(packet.payload.toString()).data.orderId);
    });
    producer.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback' && packet.reasonCode === 0x10) unrouted.add(orderOfPacket.get(packet.messageId!)!);
    });
    const sent: string[] = [];
    const acknowledged: string[] = [];
    const publish = (n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => {
        const fact = orderPlaced(`${prefix}-${i}`, 30 + (i % 60));
        sent.push(fact.data.orderId);
        return producer
          .publishAsync(topics.factTopic('OrderPlaced'), JSON.stringify(fact), { qos: 1, properties: { contentType: 'application/cloudevents+json' } })
          .then(
            () => void (unrouted.has(fact.data.orderId) || acknowledged.push(fact.data.orderId)),
            () => undefined,
          );
      });
    try {
      const held = holdIngestion(subgraph);
      await Promise.all(publish(BATCH, 'before'));
      expect(acknowledged).toHaveLength(BATCH);
      // Mid-stream: the broker restarts while the bridge holds facts and producers publish more.
      const during = publish(BATCH, 'during');
      await broker.restart();
      held.open();
      await Promise.all(during);
      // The bridge subscribes again by itself: a probe fact is routed again within seconds.
      const deadline = Date.now() + 10_000;
      for (let probe = 0; ; probe++) {
        await Promise.all(publish(1, `probe${probe}`));
        if (acknowledged.includes(`probe${probe}-0`)) break;
        if (Date.now() > deadline) throw new Error('the bridge did not subscribe again within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await Promise.all(publish(BATCH, 'after'));
      expect(acknowledged.filter((id) => id.startsWith('after-'))).toHaveLength(BATCH);
      await expectEveryAcknowledgedFactOnce(subgraph, acknowledged, sent);
    } finally {
      await producer.endAsync(true);
      await subgraph.close();
      await broker.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describeWithBroker('amqp', 'a RabbitMQ restart (every connection cut)', () => {
  it('should keep every fact RabbitMQ confirmed, once, and take new facts after the restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mesh-restart-'));
    const proxy = await startTcpProxy(amqpUrl, 5672);
    const namespace = uniqueNamespace();
    const topics = meshTopics('orders', namespace);
    const subgraph = await startSubgraph(testSubgraphConfig('orders', dir, { namespace, eventMesh: { brokers: [{ kind: 'amqp', url: proxy.url }] } }));
    const sent: string[] = [];
    const acknowledged: string[] = [];
    const connect = async () => {
      const connection = await amqp.connect(proxy.url);
      connection.on('error', () => undefined);
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      return { connection, channel };
    };
    const publish = (channel: amqp.ConfirmChannel, n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) => {
        const fact = orderPlaced(`${prefix}-${i}`, 30 + (i % 60));
        sent.push(fact.data.orderId);
        return new Promise<void>((resolve) => {
          try {
            channel.sendToQueue(
              topics.factQueue,
              Buffer.from(JSON.stringify(fact)),
              { persistent: true, contentType: 'application/cloudevents+json' },
              (error) => {
                if (!error) acknowledged.push(fact.data.orderId);
                resolve();
              },
            );
          } catch {
            resolve(); // the channel is already closed: never confirmed
          }
        });
      });
    let producer = await connect();
    try {
      const held = holdIngestion(subgraph);
      await Promise.all(publish(producer.channel, BATCH, 'before'));
      expect(acknowledged).toHaveLength(BATCH);
      const during = publish(producer.channel, BATCH, 'during');
      await proxy.cut();
      held.open();
      await Promise.all(during);
      await proxy.restore();
      producer = await connect();
      await Promise.all(publish(producer.channel, BATCH, 'after'));
      expect(acknowledged.filter((id) => id.startsWith('after-'))).toHaveLength(BATCH);
      await expectEveryAcknowledgedFactOnce(subgraph, acknowledged, sent);
    } finally {
      await producer.connection.close().catch(() => undefined);
      await subgraph.close();
      await proxy.close();
      const admin = await amqp.connect(amqpUrl);
      const channel = await admin.createChannel();
      for (const queue of [topics.factQueue, topics.deadLetterQueue]) await channel.deleteQueue(queue);
      await channel.deleteExchange(topics.exchange);
      await admin.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
