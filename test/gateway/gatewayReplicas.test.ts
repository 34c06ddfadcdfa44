/**
 * `startGateway` with subgraph replicas and auth ON: catalog and orders are configured as two replicas
 * each, the first of which refuses connections (a replica that is down), inventory as one instance. The
 * subgraphs are the real domain subgraphs (in-memory stores) trusting only the gateway's signed identity,
 * so every answer proves the identity reached the replica the gateway failed over to.
 */
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { startGateway, type RunningGateway } from '../../gateway/index.js';
import type { DomainName } from '../../subgraphs/domains.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import { signDevToken } from '../../scripts/devToken.js';
import { waitFor } from '../support/asyncWait.js';
import { TEST_GATEWAY_SECRET, TEST_PRODUCERS, testGatewayAuth } from '../support/startAuthMesh.js';
import { meshStory, type MeshEvent } from '../support/startTestMesh.js';
import { asJson, record, trackedClient, type TrackedClient } from '../mesh/meshClients.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';
import { testGatewayConfig } from '../support/testGatewayConfig.js';
import { refusedUrl } from '../support/refusedUrl.js';

const DOMAINS = ['catalog', 'orders', 'inventory'] as const satisfies readonly DomainName[];
const MINUTE = 60_000;

describe('gateway with subgraph replicas (auth on)', () => {
  const exportDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-replicas-'));
  const story = meshStory();
  const subgraphs = {} as Record<(typeof DOMAINS)[number], RunningSubgraph>;
  const down: Record<'catalog' | 'orders', string> = { catalog: '', orders: '' };
  let gateway: RunningGateway;
  let clients: TrackedClient[] = [];

  const post = async (domain: DomainName, events: MeshEvent[]) => {
    const producer = await signDevToken({ scopes: [`${domain}:write`], ttlSeconds: 60 });
    const response = await fetch(`http://127.0.0.1:${subgraphs[domain as (typeof DOMAINS)[number]].served.port}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${producer}` },
      body: JSON.stringify(events),
    });
    if (response.status !== 200) throw new Error(`POST /events to ${domain} answered ${response.status}: ${await response.text()}`);
  };
  const query = async (text: string, variables?: Record<string, unknown>) => {
    const token = await signDevToken({ scopes: ['finance:read'], ttlSeconds: 600 });
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: text, variables }),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const ready = async () => {
    const response = await fetch(gateway.url.replace(/\/graphql$/, '/ready'));
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeAll(async () => {
    for (const domain of DOMAINS) {
      subgraphs[domain] = await startSubgraph(
        testSubgraphConfig(domain, exportDir, { auth: { gatewaySecret: TEST_GATEWAY_SECRET, producers: TEST_PRODUCERS } }),
      );
      await post(domain, story.events[domain]);
    }
    down.catalog = await refusedUrl();
    down.orders = await refusedUrl();
    gateway = await startGateway({
      config: testGatewayConfig(
        [
          { name: 'catalog', url: down.catalog, otherReplicaUrls: [subgraphs.catalog.served.url] },
          { name: 'orders', url: down.orders, otherReplicaUrls: [subgraphs.orders.served.url] },
          { name: 'inventory', url: subgraphs.inventory.served.url },
        ],
        { auth: testGatewayAuth() },
      ),
      log: () => {},
    });
  });
  afterEach(async () => {
    await Promise.all(clients.map(async ({ client }) => client.dispose()));
    clients = [];
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all(Object.values(subgraphs).map((s) => s.close()));
    rmSync(exportDir, { recursive: true, force: true });
  });

  it('should compose from the replica that answers and keep the first URL in the supergraph', () => {
    const sdl = gateway.supergraphSdl()!;
    expect(sdl).toContain(`url: "${down.catalog}"`);
    expect(sdl).toContain(`url: "${down.orders}"`);
    expect(sdl).not.toContain(subgraphs.catalog.served.url);
  });

  it('should answer queries through the replica that answers, with the gateway identity it requires', async () => {
    const { status, body } = await query(
      `query($r: TimeRangeInput!) { products(first: 3) { edges { node { id name stock { onHand } sales(range: $r, granularity: DAY) { total { units revenue } } } } } }`,
      { r: story.range },
    );

    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.products.edges.map(({ node }: any) => node)).toEqual(
      story.expected.products.map(({ id, name, units, revenue, onHand }) => ({ id, name, stock: { onHand }, sales: { total: { units, revenue } } })),
    );
  });

  it('should run a federated subscription on the orders replica that answers', async () => {
    const token = await signDevToken({ scopes: ['orders:read'], ttlSeconds: 600 });
    const tracked = trackedClient(gateway.wsUrl, { connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    clients.push(tracked);
    const events = record(tracked.client, {
      query: 'subscription { orderBucketUpdated(granularity: MINUTE) { bucket { orders } product { name stock { onHand } } } }',
    });
    const busSubscribers = () => ((subgraphs.orders.runtime.bus as any).subscribers as Set<unknown>).size;
    await waitFor(() => busSubscribers() === 1, 'the upstream subscription on the second orders replica', 10_000);

    const order: MeshEvent = {
      specversion: '1.0',
      id: 'replicas-live-1',
      source: 'urn:test:replicas',
      type: 'OrderPlaced',
      time: new Date(Date.now() - 30 * MINUTE).toISOString(),
      data: { orderId: 'live-1', productId: 'p2', quantity: 1, unitPrice: 45, region: 'eu', channel: 'web', customerEmail: 'live@example.com' },
    };
    await post('orders', [order]);

    expect(asJson(await events.next('the bucket event'))).toEqual({
      data: { orderBucketUpdated: { bucket: { orders: 1 }, product: { name: 'Toaster', stock: { onHand: 7 } } } },
    });
  });

  it('should be ready while one replica of each subgraph answers, and degraded once none of a subgraph does', async () => {
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', subgraphs: 3 } });

    await subgraphs.catalog.close();

    const { status, body } = await ready();
    expect(status).toBe(503);
    expect(body).toEqual({
      status: 'degraded',
      problems: [
        expect.stringMatching(
          /^catalog: no replica answered \(unreachable at http:\/\/127\.0\.0\.1:\d+\/graphql .*; unreachable at http:\/\/127\.0\.0\.1:\d+\/graphql /,
        ),
      ],
    });
  });
});
