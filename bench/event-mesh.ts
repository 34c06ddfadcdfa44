/**
 * Event mesh bridge figures against the local brokers (Mosquitto 127.0.0.1:1883, RabbitMQ 127.0.0.1:5672):
 * facts/s ingested through each bridge (a burst of N facts published by a producer, committed to an
 * in-memory DuckDB store, acknowledged), and change-event publish latency p50/p99 (bus accept → an MQTT /
 * AMQP consumer has it), measured apart from the burst: one fact at a time, each waiting for its events,
 * so the figure is the bridge's latency, not the queue behind a burst.
 *   npm run bench:event-mesh [-- <facts per bridge, default 300> [<latency samples, default 100>]]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { meshTopics } from '../subgraphs/kit/eventMesh/meshTopics.js';
import { startSubgraph } from '../subgraphs/startSubgraph.js';

const N = Number(process.argv[2] ?? 300);
const SAMPLES = Number(process.argv[3] ?? 100);
const MQTT = process.env.MESH_BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const AMQP = process.env.MESH_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const fact = (i: number, run: string) => ({
  specversion: '1.0',
  id: `${run}-${i}`,
  source: 'urn:bench:event-mesh',
  type: 'OrderPlaced',
  time: new Date(Date.now() - 60_000 - (i % 600) * 1000).toISOString(),
  data: {
    orderId: `${run}-${i}`,
    productId: `p${i % 50}`,
    quantity: 1,
    unitPrice: 10,
    region: ['eu', 'us', 'apac'][i % 3],
    channel: 'web',
    customerEmail: 'bench@example.com',
  },
});
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

async function bench(kind: 'mqtt' | 'amqp'): Promise<void> {
  const namespace = `bench_${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(path.join(tmpdir(), 'mesh-bench-'));
  const url = kind === 'mqtt' ? MQTT : AMQP;
  const topics = meshTopics('orders', namespace);
  const subgraph = await startSubgraph({
    domain: 'orders',
    host: '127.0.0.1',
    port: 0,
    schemaDir: path.resolve('schema'),
    store: { kind: 'duckdb', path: ':memory:' },
    bus: { kind: 'memory' },
    exportDir: dir,
    latenessMs: 7 * 86_400_000,
    namespace,
    eventMesh: { brokers: [{ kind, url }] },
  });
  const latencies: number[] = [];
  let measuring = false;
  let awaited: { key: string; resolve: () => void } | null = null;
  const record = (body: Buffer) => {
    const event = JSON.parse(body.toString());
    if (measuring) latencies.push(Date.now() - Date.parse(event.time));
    if (awaited && event.data?.key === awaited.key) awaited.resolve();
  };
  /** Sends a fact and resolves when its order's state change reached the consumer. */
  const roundTrip = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = fact(i, run);
      awaited = { key: body.data.orderId, resolve };
      send(JSON.stringify(body)).catch(reject);
    });
  let cleanup: () => Promise<void>;
  let send: (body: string) => Promise<void>;
  if (kind === 'mqtt') {
    const consumer = await mqtt.connectAsync(url, { protocolVersion: 5 });
    consumer.on('message', (_topic, payload) => record(payload));
    await consumer.subscribeAsync(topics.eventTopicFilter, { qos: 1 });
    const producer = await mqtt.connectAsync(url, { protocolVersion: 5 });
    send = async (body) =>
      void (await producer.publishAsync(topics.factTopic('OrderPlaced'), body, { qos: 1, properties: { contentType: 'application/cloudevents+json' } }));
    cleanup = async () => {
      await consumer.endAsync();
      await producer.endAsync();
    };
  } else {
    const connection = await amqp.connect(url);
    const channel = await connection.createConfirmChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, topics.exchange, '#');
    await channel.consume(queue, (m) => m && record(m.content), { noAck: true });
    send = async (body) =>
      new Promise<void>((resolve, reject) =>
        channel.sendToQueue(topics.factQueue, Buffer.from(body), { persistent: true, contentType: 'application/cloudevents+json' }, (e) =>
          e ? reject(e instanceof Error ? e : new Error(String(e))) : resolve(),
        ),
      );
    cleanup = async () => {
      for (const q of [topics.factQueue, topics.deadLetterQueue]) await channel.deleteQueue(q);
      await channel.deleteExchange(topics.exchange);
      await connection.close();
    };
  }
  const run = randomBytes(3).toString('hex');
  const started = Date.now();
  for (let i = 0; i < N; i += 100) await Promise.all(Array.from({ length: Math.min(100, N - i) }, (_, j) => send(JSON.stringify(fact(i + j, run)))));
  while ((await subgraph.runtime.store.factCount()) < N) await new Promise((r) => setTimeout(r, 20));
  const seconds = (Date.now() - started) / 1000;
  // Latency, apart from the burst: one fact at a time, each waiting for its change events.
  await roundTrip(N); // the burst's events are out before this one's
  measuring = true;
  for (let i = 1; i <= SAMPLES; i++) await roundTrip(N + i);
  console.log(
    `${kind.toUpperCase().padEnd(4)} facts in: ${N} in ${seconds.toFixed(2)} s = ${Math.round(N / seconds)} facts/s; change events out: ${latencies.length} measured, publish latency p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`,
  );
  await subgraph.close();
  await cleanup();
  await rm(dir, { recursive: true, force: true });
}

await bench('mqtt');
await bench('amqp');
process.exit(0);
