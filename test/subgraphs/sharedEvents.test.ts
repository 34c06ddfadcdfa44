/**
 * A change event is computed once and fanned out (issue #9, item 4): K subscriptions with the same
 * arguments on one subgraph cost one store read per fact, and all K receive identical payloads, while
 * subscriptions with other arguments (granularity, region) still get their own values. Store reads are
 * counted by wrapping the running store's read methods.
 */
import type { Store } from '../../subgraphs/kit/store/Store.js';
import { nextValue, waitFor } from '../support/asyncWait.js';
import { startTestSubgraph, type TestSubgraph, type TestSubscription } from '../support/startTestSubgraph.js';
import { orderPlaced, stockCounted } from './cloudEvents.js';

const K = 5;

/** Counts calls of a store method from now on. */
function countCalls(store: Store, method: 'queryBuckets' | 'readStates'): { readonly calls: number } {
  const counter = { calls: 0 };
  const original = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>;
  (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
    counter.calls += 1;
    return original(...args);
  };
  return counter;
}

const busSubscribers = (subgraph: TestSubgraph) => (subgraph.runtime.bus as unknown as { subscribers: Set<unknown> }).subscribers.size;

async function post(subgraph: TestSubgraph, events: unknown) {
  const { status, body } = await subgraph.postEvents(events);
  expect([status, body.rejected]).toEqual([200, 0]);
}

const nextAll = (subscriptions: TestSubscription[], what: string) => Promise.all(subscriptions.map((s, i) => nextValue(s, `${what} on subscription ${i}`)));

describe('change events computed once per subgraph', () => {
  let subgraph: TestSubgraph;
  afterEach(() => subgraph?.close());

  it('should read the store once per fact for K orderBucketUpdated subscriptions with the same arguments', async () => {
    subgraph = await startTestSubgraph('orders');
    const query = `subscription($granularity: Granularity!, $region: String) { orderBucketUpdated(granularity: $granularity, region: $region) { cursor granularity region product { id } bucket { start orders units revenue } } }`;
    await post(
      subgraph,
      orderPlaced('2025-06-01T10:05:00Z', {
        productId: 'p1',
        region: 'eu',
        quantity: 1,
        unitPrice: 4,
      }),
    );
    await post(
      subgraph,
      orderPlaced('2025-06-01T10:15:10Z', {
        productId: 'p1',
        region: 'us',
        quantity: 5,
        unitPrice: 1,
      }),
    );

    const minute = Array.from({ length: K }, () => subgraph.subscribe(query, { granularity: 'MINUTE' }));
    const hour = Array.from({ length: 2 }, () => subgraph.subscribe(query, { granularity: 'HOUR' }));
    const eu = subgraph.subscribe(query, {
      granularity: 'MINUTE',
      region: 'eu',
    });
    await waitFor(() => busSubscribers(subgraph) === K + 3, `${K + 3} bus subscriptions`);

    const reads = countCalls(subgraph.runtime.store, 'queryBuckets');
    await post(
      subgraph,
      orderPlaced('2025-06-01T10:15:30Z', {
        productId: 'p1',
        region: 'eu',
        quantity: 2,
        unitPrice: 10,
      }),
    );
    const minuteEvents = await nextAll(minute, 'the minute event');
    const hourEvents = await nextAll(hour, 'the hour event');
    const euEvent = await nextValue(eu, 'the eu event');

    // Every subscription with the same arguments got the very same payload...
    for (const event of minuteEvents) expect(event).toEqual(minuteEvents[0]);
    expect(hourEvents[1]).toEqual(hourEvents[0]);
    // ...with the values of its own arguments.
    expect(minuteEvents[0].data?.orderBucketUpdated).toMatchObject({
      granularity: 'MINUTE',
      region: null,
      bucket: {
        start: '2025-06-01T10:15:00.000Z',
        orders: 2,
        units: 7,
        revenue: 25,
      },
    });
    expect(hourEvents[0].data?.orderBucketUpdated).toMatchObject({
      granularity: 'HOUR',
      region: null,
      bucket: {
        start: '2025-06-01T10:00:00.000Z',
        orders: 3,
        units: 8,
        revenue: 29,
      },
    });
    expect(euEvent.data?.orderBucketUpdated).toMatchObject({
      granularity: 'MINUTE',
      region: 'eu',
      bucket: {
        start: '2025-06-01T10:15:00.000Z',
        orders: 1,
        units: 2,
        revenue: 20,
      },
    });
    // Three distinct argument sets (MINUTE, HOUR, MINUTE in eu): three store reads (an aligned bucket is
    // one query), however many subscriptions share each.
    expect(reads.calls).toBe(3);

    // The same fact shape again with ten more MINUTE subscribers: the reads do not grow with them.
    const more = Array.from({ length: 10 }, () => subgraph.subscribe(query, { granularity: 'MINUTE' }));
    await waitFor(() => busSubscribers(subgraph) === K + 13, `${K + 13} bus subscriptions`);
    const before = reads.calls;
    await post(
      subgraph,
      orderPlaced('2025-06-01T10:15:40Z', {
        productId: 'p1',
        region: 'eu',
        quantity: 1,
        unitPrice: 10,
      }),
    );
    const again = await nextAll([...minute, ...more], 'the second minute event');
    await nextAll(hour, 'the second hour event');
    await nextValue(eu, 'the second eu event');
    for (const event of again) expect(event).toEqual(again[0]);
    expect(again[0].data?.orderBucketUpdated.bucket).toMatchObject({
      orders: 3,
      units: 8,
    });
    expect(reads.calls - before).toBe(3);
  });

  it('should read nested state once per event for K stockChanged subscriptions, fresh for each event', async () => {
    subgraph = await startTestSubgraph('inventory');
    const query = `subscription { stockChanged(productId: "p9") { onHand product { stock { onHand } } } }`;
    const subscriptions = Array.from({ length: K }, () => subgraph.subscribe(query));
    await waitFor(() => busSubscribers(subgraph) === K, `${K} bus subscriptions`);
    const reads = countCalls(subgraph.runtime.store, 'readStates');

    for (const onHand of [12, 10, 15]) {
      const before = reads.calls;
      await post(subgraph, stockCounted('2025-06-01T10:15:30Z', 'p9', onHand));
      const events = await nextAll(subscriptions, `the event of onHand ${onHand}`);
      for (const event of events)
        expect(event).toEqual({
          data: { stockChanged: { onHand, product: { stock: { onHand } } } },
        });
      expect(reads.calls - before).toBe(1);
    }
  });
});
