import { nextValue, waitFor, withTimeout } from '../../support/asyncWait.js';
import { composeProductMesh } from '../../support/productMeshSubgraphs.js';
import { asJson, startSubscriptionExecutorHarness, type SubscriptionExecutorHarness } from '../../support/subscriptionExecutorHarness.js';

const ON_PRICE = `subscription OnPrice($id: ID) { priceChanged(id: $id) { price product { name } } }`;

describe('subscriptions across subgraph restarts and supergraph reloads', () => {
  let harness: SubscriptionExecutorHarness;
  afterEach(() => harness.close());

  it.each([
    ['closes its sockets (1001)', false],
    ['crashes (sockets dropped)', true],
  ])('should keep delivering events after the owning subgraph %s and restarts', async (_, abrupt) => {
    harness = await startSubscriptionExecutorHarness();
    const { mesh, executor } = harness;
    const events = await harness.subscribe(ON_PRICE, { id: 'p1' });
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');
    mesh.feed.publish({ productId: 'p1', price: 1 });
    expect(asJson(await nextValue(events, 'the event before the restart'))).toMatchObject({ data: { priceChanged: { price: 1 } } });

    await mesh.restartPrices({ abrupt });
    await waitFor(() => mesh.feed.subscribeCalls.length === 2 && mesh.feed.active === 1, 're-subscription after the restart');

    mesh.feed.publish({ productId: 'p1', price: 2 });
    expect(asJson(await nextValue(events, 'the event after the restart'))).toEqual({
      data: { priceChanged: { price: 2, product: { name: 'Kettle' } } },
    });
    expect(mesh.feed.subscribeCalls).toEqual([{ id: 'p1' }, { id: 'p1' }]);
    expect(executor.stats()).toMatchObject({ upstreams: 1, clients: 1, connections: 1 });
    await events.return?.();
  });

  it('should end the stream with a readable error when the subgraph stays away', async () => {
    harness = await startSubscriptionExecutorHarness({ retry: { attempts: 2, delayMs: () => 5 } });
    const { mesh, executor } = harness;
    const events = await harness.subscribe(ON_PRICE, { id: 'p1' });
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');

    await mesh.servers.prices.close();

    const failure = asJson(await nextValue(events, 'the failure')) as { errors: { message: string; extensions: unknown }[] };
    expect(failure.errors).toEqual([
      {
        message: 'Subgraph "prices" is unreachable.', // the address and ECONNREFUSED go to the log only
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'prices' },
      },
    ]);
    expect(await withTimeout(events.next(), 'the end of the stream')).toEqual({ value: undefined, done: true });
    expect(executor.stats()).toMatchObject({ upstreams: 0, clients: 0, connections: 0 });
  });

  it('should plan new subscriptions on a reloaded supergraph and keep running ones on their plan', async () => {
    harness = await startSubscriptionExecutorHarness();
    const { mesh, executor } = harness;
    const WITH_STOCK = `subscription ($id: ID) { priceChanged(id: $id) { price product { stock } } }`;
    const running = await harness.subscribe(WITH_STOCK, { id: 'p1' });
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');

    // Reload to a supergraph without the inventory subgraph: `stock` is gone for new subscriptions...
    executor.updateSupergraph(composeProductMesh(mesh.servers, ['products', 'prices']));
    const refused = await harness.subscribeExpectingErrors(WITH_STOCK, { id: 'p2' });
    expect(refused.errors?.[0]?.message).toBe('Cannot query field "stock" on type "Product".');
    // ...a broken SDL is refused and changes nothing...
    expect(() => executor.updateSupergraph('type Query { broken: ')).toThrow();
    // ...and the running subscription keeps its plan, entity fetch to inventory included.
    mesh.feed.publish({ productId: 'p1', price: 3 });
    expect(asJson(await nextValue(running, 'the running subscription'))).toEqual({
      data: { priceChanged: { price: 3, product: { stock: 20 } } },
    });

    executor.updateSupergraph(mesh.supergraphSdl);
    const renewed = await harness.subscribe(WITH_STOCK, { id: 'p2' });
    await waitFor(() => mesh.feed.active === 2, 'the second upstream subscription');
    mesh.feed.publish({ productId: 'p2', price: 4 });
    expect(asJson(await nextValue(renewed, 'the new subscription'))).toEqual({
      data: { priceChanged: { price: 4, product: { stock: 20 } } },
    });
    expect(executor.stats()).toMatchObject({ upstreams: 2, clients: 2, connections: 1 });
    await Promise.all([running.return?.(), renewed.return?.()]);
  });
});
