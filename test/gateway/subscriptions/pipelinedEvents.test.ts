/**
 * A group resolves the rest of the plan for several events at once (an entity round trip per event would
 * otherwise cap it at one event per round trip) and still hands payloads over in upstream order.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { deferred, nextValue, waitFor } from '../../support/asyncWait.js';
import { asJson, startSubscriptionExecutorHarness, type SubscriptionExecutorHarness } from '../../support/subscriptionExecutorHarness.js';

describe('events of one group', () => {
  let harness: SubscriptionExecutorHarness;
  /** Held until released: the inventory fetch of the first event. */
  const firstFetch = deferred();
  let inventoryFetches = 0;

  beforeEach(async () => {
    inventoryFetches = 0;
    harness = await startSubscriptionExecutorHarness({
      buildDataSource: (name, url) => {
        const source = new RemoteGraphQLDataSource({ url });
        if (name !== 'inventory') return source;
        return {
          async process(options: GraphQLDataSourceProcessOptions) {
            inventoryFetches += 1;
            if (inventoryFetches === 1) await firstFetch.promise;
            return source.process(options);
          },
        };
      },
    });
  });
  afterEach(async () => harness.close());

  it('should resolve the next event while the previous one waits on a subgraph, and deliver both in order', async () => {
    const events = await harness.subscribe('subscription { priceChanged(id: "p1") { price product { stock } } }');
    await waitFor(() => harness.mesh.feed.active === 1, 'the upstream subscription');
    harness.mesh.feed.publish({ productId: 'p1', price: 1 });
    // The second event arrives once the first one's fetch is out: events arriving together would share it.
    await waitFor(() => inventoryFetches === 1, 'the first event’s entity fetch');
    harness.mesh.feed.publish({ productId: 'p1', price: 2 });
    // The second event's entity fetch starts although the first one's has not answered.
    await waitFor(() => inventoryFetches === 2, 'the second event to be resolved meanwhile');
    const first = nextValue(events, 'the first event');
    firstFetch.resolve();
    expect(asJson(await first)).toEqual({ data: { priceChanged: { price: 1, product: { stock: 20 } } } });
    expect(asJson(await nextValue(events, 'the second event'))).toEqual({ data: { priceChanged: { price: 2, product: { stock: 20 } } } });
    await events.return?.();
  });
});
