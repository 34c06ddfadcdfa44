/**
 * A subgraph the gateway does not trust (not in MESH_TRUSTED_SUBGRAPHS) gets no caller identity, and a kit
 * subgraph refuses every request without one. A client must learn it at once, over HTTP and over
 * websockets, and the operator from the log; before, the upstream subscription was retried for a minute
 * (graphql-ws retries close 4403) while the client's subscription waited in silence.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startGateway, type RunningGateway } from '../../gateway/index.js';
import { record } from '../mesh/meshClients.js';
import { startAuthMesh, testGatewayAuth, type AuthMesh } from '../support/startAuthMesh.js';
import { testGatewayConfig } from '../support/testGatewayConfig.js';

let mesh: AuthMesh;
let untrusting: RunningGateway;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mesh-untrusted-'));
const logs: string[] = [];
beforeAll(async () => {
  mesh = await startAuthMesh();
  // The supergraph from a file, as a published subgraph arrives from the registry: a gateway composing
  // from the subgraphs themselves could not even read an untrusted kit subgraph's SDL.
  const file = path.join(dir, 'supergraph.graphql');
  writeFileSync(file, mesh.gateway.supergraph()!.sdl);
  untrusting = await startGateway({
    config: testGatewayConfig([], {
      supergraph: { kind: 'file', path: file, pollIntervalMs: 60_000 },
      auth: testGatewayAuth({ trustedSubgraphs: ['catalog', 'inventory', 'shipping'] }),
    }),
    log: (_level, message) => void logs.push(message),
  });
});
afterAll(async () => {
  await untrusting?.close();
  await mesh?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('should end a subscription to it at once with an error naming the subgraph, and log why', async () => {
  const token = await mesh.token({ scopes: ['orders:read'] });
  const client = createClient({ url: untrusting.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  try {
    const started = Date.now();
    const subscription = record(client, { query: 'subscription { orderBucketUpdated(granularity: MINUTE) { bucket { orders } } }' });
    const { error } = await subscription.ended;
    const errors = (error ?? subscription.events[0]?.errors) as Array<{ message: string; extensions?: Record<string, unknown> }>;

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(errors).toEqual([
      expect.objectContaining({
        message: 'Subgraph "orders" refused the subscription (code 4403).',
        extensions: expect.objectContaining({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'orders' }),
      }),
    ]);
    expect(logs).toContainEqual(expect.stringMatching(/^subgraph orders refused the gateway's subscription: close 4403.*MESH_TRUSTED_SUBGRAPHS/));
  } finally {
    await client.dispose();
  }
});

it('should answer a query of its fields with an error at once, and log why', async () => {
  const token = await mesh.token({ scopes: ['orders:read'] });
  const response = await fetch(untrusting.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: 'query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: DAY) { total { orders } } }',
      variables: { r: mesh.story.range },
    }),
  });
  const body = (await response.json()) as { errors?: unknown[] };

  expect(body.errors).toEqual([
    expect.objectContaining({ message: 'Subgraph "orders" failed to answer (HTTP 401).', extensions: expect.objectContaining({ serviceName: 'orders' }) }),
  ]);
  expect(logs).toContainEqual(expect.stringMatching(/^subgraph orders failed to answer: 401: Unauthorized.*MESH_TRUSTED_SUBGRAPHS/));
});
