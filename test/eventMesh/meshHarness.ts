/** Helpers of the event-mesh tests: raw broker clients that collect what arrives, and facts to send. */
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import amqp from 'amqplib';
import mqtt, { type MqttClient } from 'mqtt';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { domainStreamName } from '../../subgraphs/kit/bus/jetStreamStream.js';
import type { RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import { natsUrl } from '../support/natsAvailable.js';
import { dropScaleOutDomain } from '../support/startReplicaMesh.js';
import { uniqueNamespace } from '../support/testNamespace.js';

export const MINUTE = 60_000;

/** An MQTT 5 client subscribed to `filter`, collecting parsed payloads. */
export async function mqttCollector(
  url: string,
  filter: string,
): Promise<{ client: MqttClient; messages: Array<{ topic: string; body: any; userProperties: Record<string, unknown> }> }> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, clean: true });
  const messages: Array<{ topic: string; body: any; userProperties: Record<string, unknown> }> = [];
  client.on('message', (topic, payload, packet) => {
    let body: unknown = payload.toString();
    try {
      body = JSON.parse(payload.toString());
    } catch {
      // text stays text
    }
    messages.push({ topic, body, userProperties: packet.properties?.userProperties ?? {} });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, messages };
}

/** An AMQP consumer of every change event on the product's topic exchange (declared here if need be), collecting parsed bodies. */
export async function amqpCollector(url: string, exchange: string): Promise<{ close(): Promise<void>; messages: Array<{ topic: string; body: any }> }> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, exchange, '#');
  const messages: Array<{ topic: string; body: any }> = [];
  await channel.consume(queue, (m) => m && messages.push({ topic: m.fields.routingKey, body: JSON.parse(m.content.toString()) }), { noAck: true });
  return { messages, close: () => connection.close() };
}

/** Deletes the AMQP queues and exchange a test's bridge declared. */
export async function dropAmqpNames(url: string, names: { factQueue: string; deadLetterQueue: string; exchange: string }): Promise<void> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  for (const queue of [names.factQueue, names.deadLetterQueue]) await channel.deleteQueue(queue);
  await channel.deleteExchange(names.exchange);
  await connection.close();
}

/** Reads every message of an AMQP queue until `count` arrived. */
export async function amqpDrain(url: string, queue: string, count: number, timeoutMs = 10_000): Promise<any[]> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    const got: any[] = [];
    const deadline = Date.now() + timeoutMs;
    while (got.length < count && Date.now() < deadline) {
      const message = await channel.get(queue, { noAck: true });
      if (message) got.push({ body: JSON.parse(message.content.toString()), headers: message.properties.headers });
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return got;
  } finally {
    await connection.close();
  }
}

/** A CloudEvent of an order placed `minutesAgo` minutes ago. */
export function orderPlaced(orderId: string, minutesAgo: number, overrides: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id: `evt-${orderId}`,
    source: 'urn:test:event-mesh',
    type: 'OrderPlaced',
    time: new Date(Date.now() - minutesAgo * MINUTE).toISOString(),
    data: { orderId, productId: 'p1', quantity: 1, unitPrice: 10, region: 'eu', channel: 'web', customerEmail: 'mesh@example.com', ...overrides },
  };
}

/** Deletes the bridge's lease-and-checkpoint stream of a test namespace (`bridgeStateStream.ts`), if any. */
export async function dropBridgeState(domain: string, namespace: string): Promise<void> {
  const connection = await connect({ servers: natsUrl });
  try {
    await (await jetstreamManager(connection)).streams.delete(`${domainStreamName(domain, namespace)}_BRIDGE`).catch((error: unknown) => {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    });
  } finally {
    await connection.close();
  }
}

/** Sends facts to a subgraph's `POST /events`; throws unless it answers 200. */
export async function postEvents(subgraph: RunningSubgraph, events: unknown[]): Promise<void> {
  const response = await fetch(`${subgraph.served.url.replace(/\/graphql$/, '')}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  if (response.status !== 200) throw new Error(`POST /events answered ${response.status}`);
}

/** Every cursor once, each event's previous cursor the one before it: no gap, no repeat. */
export function expectGapFree(events: any[], count: number): void {
  const cursors = events.map((e) => e.meshcursor);
  expect(new Set(cursors).size).toBe(cursors.length);
  expect(cursors).toHaveLength(count);
  for (let i = 1; i < events.length; i++) expect(events[i].meshprevcursor).toBe(events[i - 1].meshcursor);
}

/**
 * A data folder and a namespace of the suite's own for orders subgraphs that relay change events, set
 * before the suite's tests run; afterwards the namespace's schema, streams and bridge state and the folder go.
 */
export function useRelayScratch(folderPrefix: string): { dir: string; namespace: string } {
  const scratch = { dir: '', namespace: '' };
  beforeAll(async () => {
    scratch.dir = await mkdtemp(path.join(tmpdir(), folderPrefix));
    scratch.namespace = uniqueNamespace();
  });
  afterAll(async () => {
    await dropScaleOutDomain('orders', scratch.namespace);
    await dropBridgeState('orders', scratch.namespace);
    await rm(scratch.dir, { recursive: true, force: true });
  });
  return scratch;
}
