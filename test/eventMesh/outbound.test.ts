/**
 * Change events out to the event mesh: governed fields stay home without a declared audience; with the
 * JetStream bus the relay resumes from its checkpoint, so a consumer gets every change event once per
 * cursor across a subgraph restart and across a broker connection drop (a loopback proxy we cut: the
 * shared broker is left alone).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSubgraph } from '../../subgraphs/startSubgraph.js';
import { meshTopics } from '../../subgraphs/kit/eventMesh/meshTopics.js';
import type { EventMeshConfig } from '../../subgraphs/kit/eventMesh/EventMeshConfig.js';
import { waitFor } from '../support/asyncWait.js';
import { describeWithBroker, mqttUrl, startTcpProxy } from '../support/brokersAvailable.js';
import { describeWithNats, natsUrl } from '../support/natsAvailable.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';
import { uniqueNamespace } from '../support/testNamespace.js';
import { expectGapFree, mqttCollector, orderPlaced, postEvents, useRelayScratch } from './meshHarness.js';

describeWithBroker('mqtt', 'change events out over MQTT: governed fields', () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(path.join(tmpdir(), 'mesh-out-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const stateEvents = async (eventMesh: EventMeshConfig) => {
    const namespace = uniqueNamespace();
    const collector = await mqttCollector(mqttUrl, `${meshTopics('orders', namespace).eventTopicFilter}`);
    const subgraph = await startSubgraph(testSubgraphConfig('orders', dir, { namespace, eventMesh: { ...eventMesh } }));
    try {
      await postEvents(subgraph, [orderPlaced('gov-1', 5)]);
      await waitFor(
        () => collector.messages.some((m) => m.topic.endsWith('/state-changed')) && collector.messages.some((m) => m.topic.includes('/bucket-updated/')),
        'both change events',
        10_000,
      );
      const descriptor = (await (await fetch(`${subgraph.served.url.replace(/\/graphql$/, '')}/descriptor`)).json()) as any;
      const metrics = await (await fetch(`${subgraph.served.url.replace(/\/graphql$/, '')}/metrics`)).text();
      return { messages: collector.messages, descriptor, namespace, metrics };
    } finally {
      await subgraph.close();
      await collector.client.endAsync();
    }
  };

  it('should leave governed fields out without a declared audience', async () => {
    const { messages, descriptor, namespace, metrics } = await stateEvents({ brokers: [{ kind: 'mqtt', url: mqttUrl }] });
    // The bridge reports on /metrics: this replica leads, and the broker confirmed both change events.
    expect(metrics).toMatch(/^mesh_event_mesh_leader\{product="orders"\} 1$/m);
    expect(Number(/^mesh_event_mesh_relayed_total\{product="orders",broker="mqtt"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(/^mesh_event_mesh_relay_lag_seconds\{product="orders",broker="mqtt"\} [\d.e-]+$/m);
    const state = messages.find((m) => m.topic.endsWith('/state-changed'))!;
    expect(state.topic).toBe(`${namespace}/mesh/orders/v1/order/state-changed`);
    expect(state.body).toMatchObject({
      specversion: '1.0',
      type: 'mesh.orders.v1.state-changed',
      // The namespace is part of the source: two namespaced meshes on one broker number their events alike.
      source: `urn:mesh:${namespace}:orders`,
      meshcursor: expect.any(String),
      data: { key: 'gov-1', value: { orderId: 'gov-1', quantity: 1, region: 'eu' } },
    });
    expect(JSON.stringify(messages)).not.toMatch(/customerEmail|unitPrice|mesh@example\.com/);
    expect(messages.find((m) => m.topic.includes('/bucket-updated/'))!.topic).toBe(`${namespace}/mesh/orders/v1/sales/bucket-updated/eu`);
    const out = descriptor.outputPorts.find((p: any) => p.kind === 'event-mesh' && p.direction === 'out');
    expect(out).toMatchObject({ broker: mqttUrl, audience: null, withheld: expect.arrayContaining(['Order.customerEmail', 'Order.unitPrice']) });
  });

  it('should leave them out when the declared scopes fall short, and send them to an audience holding the scopes', async () => {
    const short = await stateEvents({ brokers: [{ kind: 'mqtt', url: mqttUrl }], audience: { name: 'ops', scopes: ['finance:read'] } });
    const shortState = short.messages.find((m) => m.topic.endsWith('/state-changed'))!.body.data.value;
    expect(shortState.unitPrice).toBe(10);
    expect(shortState).not.toHaveProperty('customerEmail');
    const full = await stateEvents({ brokers: [{ kind: 'mqtt', url: mqttUrl }], audience: { name: 'crm', scopes: ['finance:read', 'pii:read'] } });
    expect(full.messages.find((m) => m.topic.endsWith('/state-changed'))!.body.data.value).toMatchObject({ customerEmail: 'mesh@example.com', unitPrice: 10 });
  });
});

describeWithNats('change events out over MQTT: a durable position', () => {
  describeWithBroker('mqtt', 'with Mosquitto', () => {
    const scratch = useRelayScratch('mesh-out-');

    it('should deliver every change event once per cursor across a subgraph restart and a broker connection drop', async () => {
      const { dir, namespace } = scratch;
      const proxy = await startTcpProxy(mqttUrl, 1883);
      const collector = await mqttCollector(mqttUrl, `${meshTopics('orders', namespace).eventTopicFilter}`);
      const config = testSubgraphConfig('orders', dir, {
        namespace,
        bus: { kind: 'nats', url: natsUrl },
        eventMesh: { brokers: [{ kind: 'mqtt', url: proxy.url }] },
      });
      const stateEvents = () => collector.messages.filter((m) => m.topic.endsWith('/state-changed')).map((m) => m.body);
      let subgraph = await startSubgraph(config);
      try {
        await postEvents(subgraph, [orderPlaced('r-1', 9), orderPlaced('r-2', 8)]);
        // Generous bounds: in one loaded CI run (3 jest workers with coverage on 2 cores) the relay's first
        // delivery after start (lease, broker connection, bus subscription) took over 10 s.
        await waitFor(() => stateEvents().length === 2, 'the first two state changes', 20_000);
        await subgraph.close();

        // While the subgraph is down, its bus still takes change events (another replica's, say).
        subgraph = await startSubgraph({ ...config, eventMesh: undefined });
        await postEvents(subgraph, [orderPlaced('r-3', 7)]);
        await subgraph.close();
        subgraph = await startSubgraph(config);
        await waitFor(() => stateEvents().length === 3, 'the change made while the relay was down', 20_000);
        // A graceful restart repeats nothing: every message so far is a distinct cursor, gap-free.
        expectGapFree(
          collector.messages.map((m) => m.body),
          collector.messages.length,
        );

        await proxy.cut();
        await postEvents(subgraph, [orderPlaced('r-4', 6), orderPlaced('r-5', 5)]);
        await proxy.restore();
        // A drop may repeat what was in flight (at least once): consumers keep the first of each cursor.
        const unique = (bodies: any[]) => bodies.filter((b, i) => bodies.findIndex((o) => o.meshcursor === b.meshcursor) === i);
        await waitFor(() => unique(stateEvents()).length >= 5, 'the changes made while the broker was unreachable', 20_000);
        await postEvents(subgraph, [orderPlaced('r-6', 4)]);
        await waitFor(() => unique(stateEvents()).length >= 6, 'the last change', 10_000);
        const all = unique(collector.messages.map((m) => m.body)).sort((a, b) => Number(a.meshcursor) - Number(b.meshcursor));
        expectGapFree(all, all.length);
        expect(unique(stateEvents()).map((e) => e.data.key)).toEqual(['r-1', 'r-2', 'r-3', 'r-4', 'r-5', 'r-6']);
      } finally {
        await subgraph.close();
        await collector.client.endAsync();
        await proxy.close();
      }
    }, 60_000);
  });
});
