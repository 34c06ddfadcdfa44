/**
 * Facts in from the event mesh: a CloudEvent published over MQTT 5 or AMQP 0-9-1 is ingested like
 * `POST /events`, changes history and reaches a GraphQL subscriber through the gateway; a malformed one
 * lands in the dead-letter topic/queue with its reason; a redelivered one is a duplicate.
 */
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { waitFor } from '../support/asyncWait.js';
import { amqpUrl, describeWithBroker, mqttUrl } from '../support/brokersAvailable.js';
import { startTestMesh, type TestMesh } from '../support/startTestMesh.js';
import { uniqueNamespace } from '../support/testNamespace.js';
import { record, trackedClient } from '../mesh/meshClients.js';
import { meshTopics } from '../../subgraphs/kit/eventMesh/meshTopics.js';
import { amqpDrain, mqttCollector, orderPlaced } from './meshHarness.js';

const BUCKETS = `subscription { orderBucketUpdated(granularity: MINUTE) { bucket { start orders } product { name } } }`;

for (const kind of ['mqtt', 'amqp'] as const) {
  describeWithBroker(kind, `facts in over ${kind.toUpperCase()}`, () => {
    const url = kind === 'mqtt' ? mqttUrl : amqpUrl;
    const namespace = uniqueNamespace();
    const topics = meshTopics('orders', namespace);
    let mesh: TestMesh;
    let minutesAgo = 10;

    const send = async (body: string) => {
      if (kind === 'mqtt') {
        const client = await mqtt.connectAsync(url, { protocolVersion: 5 });
        const type = (() => {
          try {
            return JSON.parse(body).type ?? 'Unknown';
          } catch {
            return 'Unknown';
          }
        })();
        await client.publishAsync(topics.factTopic(type), body, { qos: 1, properties: { contentType: 'application/cloudevents+json' } });
        await client.endAsync();
      } else {
        const connection = await amqp.connect(url);
        const channel = await connection.createConfirmChannel();
        channel.sendToQueue(topics.factQueue, Buffer.from(body), { persistent: true, contentType: 'application/cloudevents+json' });
        await channel.waitForConfirms();
        await connection.close();
      }
    };

    beforeAll(async () => {
      mesh = await startTestMesh({
        subgraphConfig: (domain) => (domain === 'orders' ? { namespace, eventMesh: { brokers: [{ kind, url }] } } : {}),
      });
    });
    afterAll(async () => {
      await mesh?.close();
      if (kind === 'amqp') {
        const connection = await amqp.connect(url);
        const channel = await connection.createChannel();
        for (const queue of [topics.factQueue, topics.deadLetterQueue]) await channel.deleteQueue(queue);
        await channel.deleteExchange(topics.exchange);
        await connection.close();
      }
    });

    it('should ingest a published fact into history and push it to a gateway subscriber', async () => {
      const tracked = trackedClient(mesh.gateway.wsUrl);
      const events = record(tracked.client, { query: BUCKETS });
      await waitFor(() => ((mesh.subgraphs.orders.runtime.bus as any).subscribers as Set<unknown>).size >= 2, 'the gateway subscription upstream');
      const fact = orderPlaced(`${kind}-1`, (minutesAgo += 2));
      const before = await mesh.subgraphs.orders.runtime.store.factCount();
      await send(JSON.stringify(fact));

      const pushed: any = await events.next('the bucket event', 10_000);
      expect(pushed.data.orderBucketUpdated).toEqual({
        bucket: { start: new Date(Math.floor(Date.parse(fact.time) / 60_000) * 60_000).toISOString(), orders: 1 },
        product: { name: 'Kettle' },
      });
      expect(await mesh.subgraphs.orders.runtime.store.factCount()).toBe(before + 1);
      const { body } = await mesh.query(`{ order(id: "${kind}-1") { status } }`);
      expect(body.data.order).toEqual({ status: 'PLACED' });
      await tracked.client.dispose();
    });

    it('should apply a fact published twice once', async () => {
      const fact = orderPlaced(`${kind}-twice`, (minutesAgo += 2));
      const before = await mesh.subgraphs.orders.runtime.store.factCount();
      await send(JSON.stringify(fact));
      await send(JSON.stringify(fact));
      await send(JSON.stringify(orderPlaced(`${kind}-marker`, (minutesAgo += 2))));
      const deadline = Date.now() + 10_000;
      while ((await mesh.subgraphs.orders.runtime.store.factCount()) < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(await mesh.subgraphs.orders.runtime.store.factCount()).toBe(before + 2);
    });

    it('should dead-letter a malformed fact with its reason', async () => {
      const collector = kind === 'mqtt' ? await mqttCollector(url, topics.deadLetterTopic) : null;
      const bad = { ...orderPlaced(`${kind}-bad`, 5), data: { orderId: 'x', quantity: -3 } };
      await send(JSON.stringify(bad));
      await send('this is not JSON');
      const letters =
        kind === 'mqtt'
          ? await waitFor(() => collector!.messages.length >= 2, 'two dead letters', 10_000).then(() => collector!.messages.map((m) => m.body))
          : (await amqpDrain(url, topics.deadLetterQueue, 2)).map((m) => m.body);
      await collector?.client.endAsync();
      expect(letters).toHaveLength(2);
      expect(letters[0]).toMatchObject({ id: `evt-${kind}-bad`, source: 'urn:test:event-mesh', reason: expect.stringContaining('data.') });
      expect(letters[1]).toMatchObject({ id: null, body: 'this is not JSON', reason: expect.any(String) });
    });
  });
}
