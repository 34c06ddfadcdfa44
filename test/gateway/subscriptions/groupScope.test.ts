/**
 * What a layer in front of the executor (field-level auth) relies on: clients with equal scope keys share
 * one group whose transform runs once per event; each client's own expiry check; a transform that ends
 * or fails the group; the identity a group runs as. Real subgraphs on loopback (the product mesh).
 */
import { parse, type ExecutionResult } from 'graphql';
import type { GroupEventInfo, SubscriptionScope } from '../../../gateway/subscriptions/index.js';
import { nextValue, waitFor, withTimeout } from '../../support/asyncWait.js';
import { asJson, startSubscriptionExecutorHarness, type SubscriptionExecutorHarness } from '../../support/subscriptionExecutorHarness.js';

const QUERY = 'subscription { priceChanged(id: "p1") { price product { name stock } } }';

describe('subscription groups and scopes', () => {
  let harness: SubscriptionExecutorHarness;
  const groupEvents: GroupEventInfo[] = [];
  const identities: Array<{ context: unknown; subgraphs: readonly string[] }> = [];
  beforeEach(async () => {
    groupEvents.length = 0;
    identities.length = 0;
    harness = await startSubscriptionExecutorHarness({
      onGroupEvent: (info) => void groupEvents.push(info),
      groupIdentity: (context, subgraphs) => {
        identities.push({ context, subgraphs });
        return { key: String((context as { team?: string } | undefined)?.team ?? ''), context };
      },
    });
  });
  afterEach(() => harness.close());

  const open = async (scope?: SubscriptionScope, context?: unknown) => {
    const result = await harness.executor.subscribe({ document: parse(QUERY), scope, context });
    if (!(Symbol.asyncIterator in result)) throw new Error(JSON.stringify(result));
    return result;
  };

  it('should run the transform once per event for clients with equal scope keys, and split groups on another key', async () => {
    let calls = 0;
    const scope = (key: string): SubscriptionScope => ({
      key,
      transform: async (result) => {
        calls++;
        return { result: { ...result, extensions: { key } } };
      },
    });
    const a = await open(scope('x'));
    const b = await open(scope('x'));
    const c = await open(scope('y'));
    await waitFor(() => harness.mesh.feed.active === 1, 'the upstream');
    // The pool still shares the upstream subscription itself: the groups differ only in the gateway.
    expect(harness.executor.stats()).toMatchObject({ groups: 2, clients: 3, upstreams: 1 });
    harness.mesh.feed.publish({ productId: 'p1', price: 3 });
    expect(asJson(await nextValue(a))).toMatchObject({ data: { priceChanged: { price: 3 } }, extensions: { key: 'x' } });
    expect(asJson(await nextValue(b))).toMatchObject({ extensions: { key: 'x' } });
    expect(asJson(await nextValue(c))).toMatchObject({ extensions: { key: 'y' } });
    expect(calls).toBe(2);
    expect(groupEvents.map((e) => e.clients).sort()).toEqual([1, 2]);
    expect(identities[0].subgraphs[0]).toBe('prices');
    expect([...identities[0].subgraphs].sort()).toEqual(['inventory', 'prices', 'products']);
    await Promise.all([a, b, c].map(async (s) => s.return()));
  });

  it('should split groups by the identity the group runs as', async () => {
    const red = await open(undefined, { team: 'red' });
    const blue = await open(undefined, { team: 'blue' });
    expect(harness.executor.stats()).toMatchObject({ groups: 2, clients: 2 });
    await Promise.all([red, blue].map(async (s) => s.return()));
  });

  it('should end only the client whose own check says it expired', async () => {
    let expiredCalls = 0;
    const expiring = await open({ key: 'k', checks: { expired: () => true, onExpired: () => void expiredCalls++ } });
    const staying = await open({ key: 'k' });
    await waitFor(() => harness.mesh.feed.active === 1, 'one group');
    harness.mesh.feed.publish({ productId: 'p1', price: 4 });
    expect(asJson(await nextValue(staying))).toMatchObject({ data: { priceChanged: { price: 4 } } });
    expect(await withTimeout(expiring.next(), 'the end')).toEqual({ done: true, value: undefined });
    expect(expiredCalls).toBe(1);
    expect(harness.executor.stats()).toMatchObject({ clients: 1 });
    await staying.return();
  });

  it('should end the group after a payload its transform marks last', async () => {
    const stream = await open({ key: 'k', transform: async (result: ExecutionResult) => ({ result: { errors: result.errors ?? [] }, last: true }) });
    await waitFor(() => harness.mesh.feed.active === 1, 'the group');
    harness.mesh.feed.publish({ productId: 'p1', price: 5 });
    expect(asJson(await nextValue(stream))).toEqual({ errors: [] });
    expect(await withTimeout(stream.next(), 'the end')).toEqual({ done: true, value: undefined });
    await waitFor(() => harness.mesh.feed.active === 0, 'the upstream to end');
  });

  it('should end the group with INTERNAL_SERVER_ERROR when its transform throws', async () => {
    const stream = await open({
      key: 'k',
      transform: async () => {
        throw new Error('replay failed');
      },
    });
    await waitFor(() => harness.mesh.feed.active === 1, 'the group');
    harness.mesh.feed.publish({ productId: 'p1', price: 6 });
    expect(asJson(await nextValue(stream))).toEqual({
      errors: [expect.objectContaining({ message: 'Could not complete the subscription event.', extensions: { code: 'INTERNAL_SERVER_ERROR' } })],
    });
    expect(await withTimeout(stream.next(), 'the end')).toEqual({ done: true, value: undefined });
  });

  it('should refuse to open when the group identity cannot be decided', async () => {
    await harness.close();
    harness = await startSubscriptionExecutorHarness({
      groupIdentity: () => {
        throw new Error('no identity');
      },
    });
    expect(await harness.subscribeExpectingErrors(QUERY)).toMatchObject({
      errors: [expect.objectContaining({ extensions: { code: 'INTERNAL_SERVER_ERROR' } })],
    });
  });
});
