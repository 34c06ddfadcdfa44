import { waitFor } from '../support/asyncWait.js';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestMesh, type TestMesh } from '../support/startTestMesh.js';

let mesh: TestMesh;
beforeAll(async () => { mesh = await startTestMesh(); });
afterAll(() => mesh?.close());

it('explores', async () => {
  const client = createClient({ url: mesh.gateway.wsUrl, webSocketImpl: WebSocket });
  const got: unknown[] = [];
  client.subscribe({ query: 'subscription { orderBucketUpdated(granularity: MINUTE) { bucket { start orders } product { name stock { onHand } } } }' }, { next: (v) => { got.push(v); console.log(JSON.stringify(v)); }, error: (e) => console.log('err', e), complete: () => console.log('complete') });
  const t = Date.now();
  while (mesh.gateway.subscriptions()?.stats().upstreams !== 1) await new Promise((r) => setTimeout(r, 5));
  console.log('upstream after', Date.now() - t, (mesh.subgraphs.orders.runtime.bus as any).subscribers.size);
  await mesh.post('orders', mesh.event('OrderPlaced', { orderId: 'x1', productId: 'p1', quantity: 1, unitPrice: 30, region: 'eu', channel: 'web', customerEmail: 'x@example.com' }, 3_600_000));
  await waitFor(() => got.length >= 1, 'first', 5000);
  await mesh.stop('inventory');
  await mesh.post('orders', mesh.event('OrderPlaced', { orderId: 'x2', productId: 'p2', quantity: 1, unitPrice: 30, region: 'eu', channel: 'web', customerEmail: 'x@example.com' }, 3_600_000));
  await waitFor(() => got.length >= 2, 'second', 5000);
  const r = await mesh.query(`{ __typename  ws: products(first: 1) { edges { node { stock { onHand } } } } }`);
  console.log(JSON.stringify(r));
  await client.dispose();
});
