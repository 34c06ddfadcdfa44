import { nextValue, waitFor, withTimeout } from '../../support/asyncWait.js';
import { asJson, startSubscriptionExecutorHarness, type SubscriptionExecutorHarness } from '../../support/subscriptionExecutorHarness.js';

const ON_PRICE = /* GraphQL */ `
  subscription OnPrice($id: ID) {
    changed: priceChanged(id: $id) {
      amount: price
      ...EventFields
      product {
        id
        label: name
        ... on Product {
          inStock: stock
        }
      }
    }
  }
  fragment EventFields on PriceEvent {
    currency
  }
`;

describe('federated subscription events', () => {
  let harness: SubscriptionExecutorHarness;
  beforeEach(async () => {
    harness = await startSubscriptionExecutorHarness();
  });
  afterEach(() => harness.close());

  it('should deliver a full payload with fields from the other subgraphs, aliases and fragments preserved', async () => {
    const { mesh } = harness;
    const events = await harness.subscribe(ON_PRICE, { id: 'p1' });
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');

    mesh.feed.publish({ productId: 'p1', price: 9.5 });

    expect(asJson(await nextValue(events))).toEqual({
      data: { changed: { amount: 9.5, currency: 'EUR', product: { id: 'p1', label: 'Kettle', inStock: 20 } } },
    });
    await events.return?.();
  });

  it('should pass the event through untouched in shape when the owning subgraph serves every field', async () => {
    const { mesh } = harness;
    const events = await harness.subscribe(`subscription { priceChanged { p: price product { id } } }`);
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');

    mesh.feed.publish({ productId: 'p2', price: 3 });

    expect(asJson(await nextValue(events))).toEqual({ data: { priceChanged: { p: 3, product: { id: 'p2' } } } });
    expect(mesh.inventoryLog.batches).toEqual([]);
    await events.return?.();
  });

  it('should deliver several events in a row, in order', async () => {
    const { mesh } = harness;
    const events = await harness.subscribe(ON_PRICE, { id: 'p1' });
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');

    for (const price of [1, 2, 3, 4]) mesh.feed.publish({ productId: 'p1', price });

    const amounts: unknown[] = [];
    for (let i = 0; i < 4; i += 1) {
      const result = (await nextValue(events, `event ${i + 1}`)) as { data: { changed: { amount: number } } };
      amounts.push(result.data.changed.amount);
    }
    expect(amounts).toEqual([1, 2, 3, 4]);
    await events.return?.();
  });

  it('should resolve a list of entity references in one batched entity fetch', async () => {
    const { mesh } = harness;
    const events = await harness.subscribe(`subscription { priceChanged { bundle { name stock } } }`);
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');

    mesh.feed.publish({ productId: 'p1', price: 1, bundleIds: ['p2', 'p3', 'p1'] });

    expect(asJson(await nextValue(events))).toEqual({
      data: {
        priceChanged: {
          bundle: [
            { name: 'Toaster', stock: 20 },
            { name: 'Blender', stock: 20 },
            { name: 'Kettle', stock: 20 },
          ],
        },
      },
    });
    expect(mesh.inventoryLog.batches).toEqual([['p2', 'p3', 'p1']]);
    await events.return?.();
  });

  it('should report an entity fetch error on that event with its path, and keep the subscription going', async () => {
    const { mesh, executor } = harness;
    const events = await harness.subscribe(ON_PRICE);
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');

    mesh.feed.publish({ productId: 'broken', price: 1 });
    const failed = asJson(await nextValue(events, 'the event with a failing entity')) as {
      data: unknown;
      errors: { message: string; path: unknown[]; extensions: Record<string, unknown> }[];
    };
    expect(failed.data).toEqual({
      changed: { amount: 1, currency: 'EUR', product: { id: 'broken', label: 'Broken thing', inStock: null } },
    });
    expect(failed.errors).toEqual([
      expect.objectContaining({
        message: 'stock unavailable for broken',
        path: ['changed', 'product'],
        // As for queries through @apollo/gateway: the subgraph's own code is kept (Apollo Server tags
        // plain errors INTERNAL_SERVER_ERROR), `serviceName` is added; DOWNSTREAM_SERVICE_ERROR only
        // fills in when the subgraph gave no code.
        extensions: expect.objectContaining({ code: 'INTERNAL_SERVER_ERROR', serviceName: 'inventory' }),
      }),
    ]);

    mesh.feed.publish({ productId: 'p1', price: 2 });
    expect(asJson(await nextValue(events, 'the event after the failure'))).toEqual({
      data: { changed: { amount: 2, currency: 'EUR', product: { id: 'p1', label: 'Kettle', inStock: 20 } } },
    });
    expect(executor.stats()).toMatchObject({ upstreams: 1, clients: 1 });
    await events.return?.();
  });

  it("should make each event's context from the group's, and give an event whose context cannot be made an error and go on", async () => {
    const contexts: Array<Record<string, unknown>> = [];
    const own = await startSubscriptionExecutorHarness({
      eventContext: (context) => {
        if (contexts.push(context) === 1) throw new Error('no deadline for you');
        return { ...context, event: contexts.length };
      },
    });
    try {
      const events = await own.subscribe(ON_PRICE, { id: 'p1' });
      await waitFor(() => own.mesh.feed.active === 1, 'the upstream subscription');

      own.mesh.feed.publish({ productId: 'p1', price: 1 });
      expect(asJson(await nextValue(events, 'the event without a context'))).toEqual({
        errors: [{ message: 'Could not resolve the subscription event.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
      });
      own.mesh.feed.publish({ productId: 'p1', price: 2 });
      expect(asJson(await nextValue(events, 'the next event'))).toEqual({
        data: { changed: { amount: 2, currency: 'EUR', product: { id: 'p1', label: 'Kettle', inStock: 20 } } },
      });
      // One call per event, each with the group's context.
      expect(contexts).toHaveLength(2);
      expect(contexts[1]).toBe(contexts[0]);
      await events.return?.();
    } finally {
      await own.close();
    }
  });

  it('should deliver a subgraph refusing the subscription as errors and end the stream', async () => {
    const { executor } = harness;
    const events = await harness.subscribe(ON_PRICE, { id: 'forbidden' });

    const refused = asJson(await nextValue(events, 'the refusal')) as { data?: unknown; errors: unknown[] };
    expect(refused).toEqual({
      errors: [
        expect.objectContaining({
          message: 'No price feed for product forbidden',
          extensions: expect.objectContaining({ serviceName: 'prices' }),
        }),
      ],
    });
    expect(await withTimeout(events.next(), 'the end of the stream')).toEqual({ value: undefined, done: true });
    await waitFor(() => executor.stats().upstreams === 0 && executor.stats().clients === 0, 'stats to drop to 0');
  });
});
