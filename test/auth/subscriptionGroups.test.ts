/**
 * Who shares a subscription group, through the real gateway and the real domain subgraphs: clients of
 * different users with the same scopes share one (one upstream subscription, one entity fetch per
 * event), unless a subgraph of the plan is declared to filter by subject (`perSubjectSubgraphs`), which
 * keeps users apart. Clients whose scopes differ never share (their fields differ).
 */
import type { Client } from 'graphql-ws';
import { waitFor, withTimeout } from '../support/asyncWait.js';
import { startAuthMesh, type AuthMesh, type AuthMeshGateway } from '../support/startAuthMesh.js';

let mesh: AuthMesh;
const clients: Client[] = [];
beforeAll(async () => {
  mesh = await startAuthMesh();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map(async (c) => c.dispose()));
  await waitFor(() => ordersSubscriptions() === 0, 'the orders subgraph to end its subscriptions');
});
/** Bus subscriptions open at the orders subgraph: an upstream the gateway opened gets events once it is counted here. */
const ordersSubscriptions = () => mesh.subgraphs.orders.metrics.openSubscriptions();
afterAll(() => mesh?.close());

let orderNumber = 0;
const placeOrder = () =>
  mesh.post(
    'orders',
    mesh.event(
      'OrderPlaced',
      { orderId: `group-${++orderNumber}`, productId: 'p1', quantity: 1, unitPrice: 10, region: 'eu', channel: 'web', customerEmail: 'x@example.com' },
      60_000,
    ),
  );

/** Two users with the same scopes, each naming the operation differently. */
async function subscribeTwoUsers(gateway: AuthMeshGateway) {
  const stream = async (sub: string, name: string) => {
    const client = gateway.wsClient(await mesh.token({ scopes: ['orders:read'], sub }));
    clients.push(client);
    return client.iterate({ query: `subscription ${name} { orderBucketUpdated(granularity: MINUTE) { bucket { orders } product { name } } }` });
  };
  const alice = await stream('alice', 'AliceBoard');
  const bob = await stream('bob', 'BobBoard');
  const firsts = [alice.next(), bob.next()];
  const stats = () => gateway.gateway.subscriptions()!.stats();
  await waitFor(() => stats().clients === 2, 'both clients');
  return { stats, firsts, streams: [alice, bob] };
}

it('should share one group between users with the same scopes: one upstream, one entity fetch per event', async () => {
  const { stats, firsts, streams } = await subscribeTwoUsers(mesh);
  expect(stats()).toMatchObject({ groups: 1, upstreams: 1 });
  await waitFor(() => ordersSubscriptions() === 1, 'the upstream subscription at the orders subgraph');
  mesh.clearReceived();
  await placeOrder();
  for (const first of firsts) {
    expect((await withTimeout(first, 'an event')).value).toEqual({
      data: { orderBucketUpdated: { bucket: { orders: expect.any(Number) }, product: { name: 'Kettle' } } },
    });
  }
  // The product name comes from catalog: one entity fetch for both clients.
  expect(mesh.received.catalog.filter((op) => op.transport === 'http')).toHaveLength(1);
  await Promise.all(streams.map(async (s) => s.return?.()));
});

it('should keep users apart when a subgraph of the plan filters by subject', async () => {
  const perSubject = await mesh.startGateway({ perSubjectSubgraphs: ['orders'] });
  const { stats, firsts, streams } = await subscribeTwoUsers(perSubject);
  await waitFor(() => stats().upstreams === 2, 'one upstream subscription per user');
  expect(stats()).toMatchObject({ groups: 2, clients: 2 });
  await waitFor(() => ordersSubscriptions() === 2, 'both upstream subscriptions at the orders subgraph');
  mesh.clearReceived();
  await placeOrder();
  for (const first of firsts) expect((await withTimeout(first, 'an event')).value.data.orderBucketUpdated.product).toEqual({ name: 'Kettle' });
  expect(mesh.received.catalog.filter((op) => op.transport === 'http')).toHaveLength(2);
  await Promise.all(streams.map(async (s) => s.return?.()));
});

it('should run differently named operations as one shared document, auditing each client under its own name', async () => {
  // Two users whose operations differ in name and layout (whitespace, an unused second operation) but not
  // in what they select; a denied field makes each subscription write an audit line.
  const gateway = await mesh.startGateway();
  const selection = '{ orderBucketUpdated(granularity: MINUTE) { bucket { orders revenue } } }';
  const streams = await Promise.all(
    [
      ['carol', `subscription CarolBoard ${selection}`],
      ['dave', `query Unused { __typename }\n\n  subscription   DaveBoard\n${selection.replaceAll(' ', '\n')}`],
    ].map(async ([sub, query]) => {
      const client = gateway.wsClient(await mesh.token({ scopes: ['orders:read'], sub }));
      clients.push(client);
      return client.iterate({ query, operationName: `${sub[0].toUpperCase()}${sub.slice(1)}Board` });
    }),
  );
  const firsts = streams.map(async (stream) => stream.next());
  await waitFor(() => gateway.gateway.subscriptions()!.stats().clients === 2, 'both clients');
  expect(gateway.gateway.subscriptions()!.stats()).toMatchObject({ groups: 1, upstreams: 1 });
  await waitFor(() => ordersSubscriptions() === 1, 'the upstream subscription at the orders subgraph');

  const denials = gateway.audit.filter((line) => line.decision === 'denied');
  expect(denials.map((line) => line.operationName).sort()).toEqual(['CarolBoard', 'DaveBoard']);
  // One document for both: the audit's hash of what ran is the same.
  expect(new Set(denials.map((line) => line.operationHash)).size).toBe(1);

  await placeOrder();
  for (const first of firsts) {
    const { value } = await withTimeout(first, 'an event');
    expect(value.data.orderBucketUpdated.bucket).toEqual({ orders: expect.any(Number), revenue: null });
    // The shared copy has no positions of its own: the error names the path, not positions in another text.
    expect(value.errors).toEqual([expect.objectContaining({ path: ['orderBucketUpdated', 'bucket', 'revenue'] })]);
    expect(value.errors[0].locations).toBeUndefined();
  }
  await Promise.all(streams.map(async (s) => s.return?.()));
});

it('should validate a named client whose document holds more than a form already shared, and share the form otherwise', async () => {
  const gateway = await mesh.startGateway();
  const stats = () => gateway.gateway.subscriptions()!.stats();
  const selection = '{ orderBucketUpdated(granularity: MINUTE) { bucket { orders } } }';
  const client = gateway.wsClient(await mesh.token({ scopes: ['orders:read'], sub: 'erin' }));
  clients.push(client);
  const erin = client.iterate({ query: `subscription ErinBoard ${selection}` });
  const erinFirst = erin.next();
  await waitFor(() => stats().clients === 1, 'the first client');
  // The same form plus a fragment nothing spreads: the known form must not let it skip validation.
  const unused = client.iterate({ query: `subscription FrankBoard ${selection}\nfragment Unused on OrderBucketEvent { cursor }` });
  await expect(withTimeout(unused.next(), 'the refusal')).rejects.toEqual([
    expect.objectContaining({ message: 'Fragment "Unused" is never used.', extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }) }),
  ]);
  // Only another name: shares the first client's group.
  const grace = client.iterate({ query: `subscription GraceBoard ${selection.replaceAll(' ', '  ')}` });
  const graceFirst = grace.next();
  await waitFor(() => stats().clients === 2, 'the second client');
  expect(stats()).toMatchObject({ groups: 1, upstreams: 1 });
  await waitFor(() => ordersSubscriptions() === 1, 'the upstream subscription at the orders subgraph');
  await placeOrder();
  for (const first of [erinFirst, graceFirst])
    expect((await withTimeout(first, 'an event')).value.data.orderBucketUpdated.bucket).toEqual({ orders: expect.any(Number) });
  await Promise.all([erin, grace].map(async (s) => s.return?.()));
});
