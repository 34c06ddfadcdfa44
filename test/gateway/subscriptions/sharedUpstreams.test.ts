import { parse } from 'graphql';
import { nextValue, waitFor } from '../../support/asyncWait.js';
import { asJson, startSubscriptionExecutorHarness, type SubscriptionExecutorHarness } from '../../support/subscriptionExecutorHarness.js';

const ON_PRICE = `subscription OnPrice($id: ID) { priceChanged(id: $id) { price product { name stock } } }`;

describe('shared upstream subscriptions', () => {
  let harness: SubscriptionExecutorHarness;
  beforeEach(async () => {
    harness = await startSubscriptionExecutorHarness();
  });
  afterEach(() => harness.close());

  it('should serve identical subscriptions from one upstream subscription', async () => {
    const { mesh, executor } = harness;
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => harness.subscribe(ON_PRICE, { id: 'p1' })));
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');

    mesh.feed.publish({ productId: 'p1', price: 7 });

    for (const events of clients) {
      expect(asJson(await nextValue(events))).toEqual({
        data: { priceChanged: { price: 7, product: { name: 'Kettle', stock: 20 } } },
      });
    }
    expect(mesh.feed.subscribeCalls).toEqual([{ id: 'p1' }]);
    expect(mesh.servers.prices.openSockets).toBe(1);
    expect(executor.stats()).toEqual({ upstreams: 1, clients: 5, groups: 1, connections: 1 });
    await Promise.all(clients.map(async (events) => events.return?.()));
  });

  it('should open a separate upstream subscription for different variables', async () => {
    const { mesh, executor } = harness;
    const first = await harness.subscribe(ON_PRICE, { id: 'p1' });
    const second = await harness.subscribe(ON_PRICE, { id: 'p2' });
    const alsoSecond = await harness.subscribe(ON_PRICE, { id: 'p2' });
    await waitFor(() => mesh.feed.active === 2, 'two upstream subscriptions');

    expect(mesh.feed.subscribeCalls).toEqual(expect.arrayContaining([{ id: 'p1' }, { id: 'p2' }]));
    expect(mesh.feed.subscribeCalls).toHaveLength(2);
    // Both share one socket: same subgraph, same connection params.
    expect(executor.stats()).toEqual({ upstreams: 2, clients: 3, groups: 2, connections: 1 });

    mesh.feed.publish({ productId: 'p2', price: 5 });
    mesh.feed.publish({ productId: 'p1', price: 4 });
    expect(asJson(await nextValue(first))).toMatchObject({ data: { priceChanged: { price: 4 } } });
    expect(asJson(await nextValue(second))).toMatchObject({ data: { priceChanged: { price: 5 } } });
    expect(asJson(await nextValue(alsoSecond))).toMatchObject({ data: { priceChanged: { price: 5 } } });
    await Promise.all([first, second, alsoSecond].map(async (events) => events.return?.()));
  });

  it('should never share between clients whose upstream connection params differ', async () => {
    await harness.close();
    harness = await startSubscriptionExecutorHarness({
      upstreamConnectionParams: (context) => ({ identity: (context as { user: string }).user }),
    });
    const { mesh, executor } = harness;
    const subscribeAs = async (user: string) => {
      const result = await executor.subscribe({ document: parse(ON_PRICE), variables: { id: 'p1' }, context: { user } });
      if (!(Symbol.asyncIterator in result)) throw new Error(JSON.stringify(result));
      return result;
    };
    const alice = await subscribeAs('alice');
    const bob = await subscribeAs('bob');
    const alsoAlice = await subscribeAs('alice');
    await waitFor(() => mesh.feed.active === 2, 'one upstream subscription per identity');

    expect(executor.stats()).toEqual({ upstreams: 2, clients: 3, groups: 2, connections: 2 });
    expect(mesh.servers.prices.connectionParams).toEqual(expect.arrayContaining([{ identity: 'alice' }, { identity: 'bob' }]));
    expect(mesh.servers.prices.connectionParams).toHaveLength(2);
    await Promise.all([alice, bob, alsoAlice].map(async (events) => events.return?.()));
  });

  it('should end the upstream subscription only when the last client leaves', async () => {
    const { mesh, executor } = harness;
    const leaving = await harness.subscribe(ON_PRICE, { id: 'p1' });
    const staying = await harness.subscribe(ON_PRICE, { id: 'p1' });
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');

    await leaving.return?.();
    expect(await leaving.next()).toEqual({ value: undefined, done: true });
    expect(executor.stats()).toEqual({ upstreams: 1, clients: 1, groups: 1, connections: 1 });
    mesh.feed.publish({ productId: 'p1', price: 8 });
    expect(asJson(await nextValue(staying))).toMatchObject({ data: { priceChanged: { price: 8 } } });
    expect(mesh.feed.returns).toBe(0);

    // Breaking out of `for await` calls return() on the stream.
    mesh.feed.publish({ productId: 'p1', price: 9 });
    for await (const result of staying) {
      expect(asJson(result)).toMatchObject({ data: { priceChanged: { price: 9 } } });
      break;
    }

    await waitFor(() => mesh.feed.returns === 1 && mesh.feed.active === 0, "the subgraph's iterator to be returned");
    expect(executor.stats()).toEqual({ upstreams: 0, clients: 0, groups: 0, connections: 0 });
    await waitFor(() => mesh.servers.prices.openSockets === 0, 'the idle upstream socket to close');
  });

  it('should end every client stream and upstream on dispose', async () => {
    const { mesh, executor } = harness;
    const events = await harness.subscribe(ON_PRICE, { id: 'p3' });
    await waitFor(() => mesh.feed.active === 1, 'the upstream subscription');

    await executor.dispose();

    expect(await events.next()).toEqual({ value: undefined, done: true });
    expect(executor.stats()).toEqual({ upstreams: 0, clients: 0, groups: 0, connections: 0 });
    await waitFor(() => mesh.feed.active === 0, "the subgraph's iterator to be returned");
    const afterDispose = await executor.subscribe({ document: parse(ON_PRICE) });
    expect(afterDispose).toEqual({ errors: [expect.objectContaining({ message: 'The subscription executor has been disposed.' })] });
  });
});
