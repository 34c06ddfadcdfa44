import { parse } from 'graphql';
import { startSubscriptionExecutorHarness, type SubscriptionExecutorHarness } from '../../support/subscriptionExecutorHarness.js';

describe('subscription request errors', () => {
  let harness: SubscriptionExecutorHarness;
  beforeAll(async () => {
    harness = await startSubscriptionExecutorHarness();
  });
  afterAll(() => harness.close());

  /** Subscribes expecting errors, and checks nothing reached the subgraph. */
  async function expectRefused(query: string, variables?: Record<string, unknown>) {
    const result = await harness.subscribeExpectingErrors(query, variables);
    expect(result.data).toBeUndefined();
    expect(harness.mesh.feed.subscribeCalls).toEqual([]);
    expect(harness.mesh.servers.prices.connectionParams).toEqual([]);
    expect(harness.executor.stats()).toMatchObject({ upstreams: 0, clients: 0, connections: 0 });
    return result.errors!.map((error) => ({ message: error.message, code: error.extensions.code }));
  }

  it('should refuse an unknown field with a validation error', async () => {
    expect(await expectRefused(`subscription { priceChanged { price nope } }`)).toEqual([
      { message: 'Cannot query field "nope" on type "PriceEvent".', code: 'GRAPHQL_VALIDATION_FAILED' },
    ]);
  });

  it('should refuse more than one root field, as the spec requires', async () => {
    const [error] = await expectRefused(`subscription Two { a: priceChanged { price } b: priceChanged { price } }`);
    expect(error).toEqual({ message: 'Subscription "Two" must select only one top level field.', code: 'GRAPHQL_VALIDATION_FAILED' });
  });

  it('should refuse a query: only subscriptions run here', async () => {
    expect(await expectRefused(`query Lookup { product(id: "p1") { name } }`)).toEqual([
      { message: 'Operation "Lookup" is a query; only subscriptions are executed here.', code: 'BAD_REQUEST' },
    ]);
  });

  it('should refuse variables of the wrong type', async () => {
    const [error] = await expectRefused(`subscription ($id: ID!) { priceChanged(id: $id) { price } }`, { id: { nested: true } });
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(error.message).toMatch(/^Variable "\$id" got invalid value/);
  });

  it('should refuse a missing required variable', async () => {
    expect(await expectRefused(`subscription ($id: ID!) { priceChanged(id: $id) { price } }`)).toEqual([
      { message: 'Variable "$id" of required type "ID!" was not provided.', code: 'BAD_USER_INPUT' },
    ]);
  });

  it('should refuse an operation name that is not in the document', async () => {
    const result = await harness.executor.subscribe({
      document: parse(`subscription A { priceChanged { price } }`),
      operationName: 'B',
    });
    expect(result).toEqual({
      errors: [expect.objectContaining({ message: 'Unknown operation named "B".', extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })],
    });
  });
});
