/**
 * Finite, bounded ingestion through `POST /events` of real servers: permanent input errors are 400 with
 * the field named and a dead letter, never a retryable 503, and nothing of a bad fact reaches a rollup.
 */
import { parse } from 'graphql';
import { z } from 'zod';
import { InProcessBus } from '../../subgraphs/kit/bus/InProcessBus.js';
import { DataProductRuntime } from '../../subgraphs/kit/DataProductRuntime.js';
import { defineDataProduct } from '../../subgraphs/kit/defineDataProduct.js';
import { serveDataProduct, type ServedDataProduct } from '../../subgraphs/kit/serveDataProduct.js';
import { DuckDbStore } from '../../subgraphs/kit/store/DuckDbStore.js';
import type { DomainName } from '../../subgraphs/domains.js';
import { cloudEvent, orderPlaced, priceChanged, stockAdjusted, stockCounted } from '../subgraphs/cloudEvents.js';
import { startTestSubgraph, type TestSubgraph } from '../support/startTestSubgraph.js';
import { expectPublicError, fetchAnswer } from './expectPublicError.js';

const json = { 'content-type': 'application/json' };
const aMinuteAgo = () => new Date(Date.now() - 60_000);

async function postText(base: string, body: string) {
  return fetchAnswer(`${base}/events`, { method: 'POST', headers: json, body });
}

/** Posts one event and expects a 400 BAD_EVENT naming `field`, with a dead letter for it. */
async function expectRejected(subgraph: { base: string; deadLetters: () => Promise<Array<{ reason: string }>> }, body: string, field: string, reason: RegExp) {
  const before = (await subgraph.deadLetters()).length;
  const answer = await postText(subgraph.base, body);
  expectPublicError(answer, 400, 'BAD_EVENT');
  expect(answer.body.error).toEqual({ code: 'BAD_EVENT', field, message: expect.stringMatching(reason) });
  expect(answer.body.applied).toBe(0);
  const letters = await subgraph.deadLetters();
  expect(letters).toHaveLength(before + 1);
  expect(letters[0].reason).toMatch(reason);
}

describe('bounded demo fact schemas', () => {
  const subgraphs: Partial<Record<DomainName, TestSubgraph>> = {};
  const target = (domain: DomainName) => ({ base: subgraphs[domain]!.base, deadLetters: () => subgraphs[domain]!.runtime.store.deadLetters(1000) });

  beforeAll(async () => {
    for (const domain of ['orders', 'inventory', 'catalog', 'shipping'] as const) subgraphs[domain] = await startTestSubgraph(domain);
  });
  afterAll(async () => {
    await Promise.all(Object.values(subgraphs).map((s) => s.close()));
  });

  it.each([
    ['a unit price of 1e308', { unitPrice: 1e308 }, 'data.unitPrice', /data\.unitPrice: must be at most 1000000/],
    ['a unit price of 0', { unitPrice: 0 }, 'data.unitPrice', /data\.unitPrice: must be greater than 0/],
    ['a negative unit price', { unitPrice: -5 }, 'data.unitPrice', /data\.unitPrice: must be greater than 0/],
    ['a quantity of 0', { quantity: 0 }, 'data.quantity', /data\.quantity: must be at least 1/],
    ['a fractional quantity', { quantity: 1.5 }, 'data.quantity', /data\.quantity: must be a whole number/],
    ['a quantity over 10,000', { quantity: 10_001 }, 'data.quantity', /data\.quantity: must be at most 10000/],
    ['a 200-character region', { region: 'r'.repeat(200) }, 'data.region', /data\.region: must be at most 64 characters/],
  ])('should refuse an order with %s with 400 naming the field', async (_name, line, field, reason) => {
    await expectRejected(target('orders'), JSON.stringify(orderPlaced(aMinuteAgo(), line)), field, reason);
  });

  it('should refuse a number that overflows to Infinity (1e400) with 400 naming the field', async () => {
    const body = JSON.stringify(orderPlaced(aMinuteAgo(), { unitPrice: 12345 })).replace('12345', '1e400');
    await expectRejected(target('orders'), body, 'data.unitPrice', /data\.unitPrice/);
  });

  it('should refuse a lone surrogate with 400 naming the field, not 503, and keep a readable dead letter', async () => {
    const body = JSON.stringify(orderPlaced(aMinuteAgo(), { region: 'eu\ud800' }));
    expect(body).toContain('\\ud800'); // a lone surrogate travels as a JSON escape
    await expectRejected(target('orders'), body, 'data.region', /data\.region: contains a lone UTF-16 surrogate/);
    const idBody = JSON.stringify(cloudEvent('OrderPlaced', aMinuteAgo(), orderPlaced(aMinuteAgo()).data, 'id-\udc00'));
    await expectRejected(target('orders'), idBody, 'id', /id: contains a lone UTF-16 surrogate/);
    const [letter] = await subgraphs.orders!.runtime.store.deadLetters(1);
    expect(letter.id).toBe('id-\ufffd');
  });

  it('should apply the good facts of a batch and nothing of a bad one', async () => {
    const time = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000 + 5 * 60_000);
    const good = orderPlaced(time, { productId: 'p-batch', quantity: 3, unitPrice: 10 });
    const bad = orderPlaced(time, { productId: 'p-batch', quantity: 1, unitPrice: 1e308 });
    const answer = await postText(subgraphs.orders!.base, JSON.stringify([good, bad]));
    expect({ status: answer.status, applied: answer.body.applied, rejected: answer.body.rejected, field: answer.body.error.field }).toEqual({
      status: 207,
      applied: 1,
      rejected: 1,
      field: 'data.unitPrice',
    });
    const history = await subgraphs.orders!.runtime.history('sales', {
      range: { from: new Date(time.getTime() - 3_600_000), to: new Date(time.getTime() + 3_600_000) },
      granularity: 'HOUR',
      filter: { product_id: ['p-batch'] },
    });
    expect(history.total).toMatchObject({ orders: 1, units: 3, revenue: 30 });
  });

  it.each([
    ['inventory', () => stockAdjusted(aMinuteAgo(), 'p1', 1e12), 'data.delta', /data\.delta: must be at most 10000000/],
    ['inventory', () => stockCounted(aMinuteAgo(), 'p1', -1), 'data.onHand', /data\.onHand: must not be negative/],
    ['catalog', () => priceChanged(aMinuteAgo(), 'p1', 1e308), 'data.price', /data\.price: must be at most 1000000/],
    ['catalog', () => priceChanged(aMinuteAgo(), 'p1', 0), 'data.price', /data\.price: must be greater than 0/],
    [
      'shipping',
      () =>
        cloudEvent('ShipmentDispatched', aMinuteAgo(), { shipmentId: 's1', orderId: 'o1', productId: 'p1', carrier: 'c', region: 'eu', promisedAt: 'soon' }),
      'data.promisedAt',
      /data\.promisedAt: must be an RFC 3339 timestamp/,
    ],
  ] as const)('should refuse an out-of-bounds %s fact with 400 naming the field', async (domain, event, field, reason) => {
    await expectRejected(target(domain), JSON.stringify(event()), field, reason);
  });
});

describe('derived measures in the kit', () => {
  // A product whose schema does not bound its numbers: the kit itself must keep rollups finite.
  const facts = { Sold: z.object({ item: z.string(), units: z.number(), price: z.number() }) };
  const definition = defineDataProduct({
    typeDefs: parse('extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"]) type Query { ping: Int }'),
    descriptor: {
      id: 'unbounded.sales',
      name: 'Unbounded sales',
      domain: 'unbounded',
      version: '1.0.0',
      status: 'draft',
      description: { purpose: 'tests' },
      owner: { team: 'tests', contact: 'tests@example.com' },
      slos: { freshnessSeconds: 60, availability: 0.9, retentionDays: 1 },
    },
    facts,
    rollups: {
      sales: {
        dimensions: ['item'],
        measures: { units: 'sum', revenue: 'sum' },
        contributions: {
          Sold: (s) => {
            if (s.item === 'explode') throw new Error('a domain bug');
            return { dims: { item: s.item }, values: { units: s.units, revenue: s.units * s.price } };
          },
        },
      },
    },
    resolvers: () => ({ Query: { ping: () => 1 } }),
  });
  let runtime: DataProductRuntime<typeof definition>;
  let served: ServedDataProduct;
  let base: string;
  const target = () => ({ base, deadLetters: () => runtime.store.deadLetters(1000) });

  beforeAll(async () => {
    runtime = await DataProductRuntime.start(definition, { store: await DuckDbStore.open({ path: ':memory:', threads: 1 }), bus: new InProcessBus() });
    served = await serveDataProduct(runtime);
    base = served.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await served?.close();
    await runtime?.close();
  });

  it('should refuse a fact whose derived measure is non-finite with 400 naming the measure', async () => {
    const body = JSON.stringify(cloudEvent('Sold', aMinuteAgo(), { item: 'a', units: 1000, price: 1e306 }));
    await expectRejected(target(), body, 'data', /measure "revenue" of rollup "sales" would be Infinity, not a finite number/);
  });

  it('should refuse a fact whose derived measure is beyond ±1e15', async () => {
    const body = JSON.stringify(cloudEvent('Sold', aMinuteAgo(), { item: 'a', units: 1, price: 1e16 }));
    await expectRejected(target(), body, 'data', /measure "revenue" of rollup "sales" would be 10000000000000000, beyond/);
  });

  it('should refuse a fact a contribution cannot handle with 400, not a failed batch', async () => {
    const ok = cloudEvent('Sold', aMinuteAgo(), { item: 'fine', units: 2, price: 3 });
    const body = JSON.stringify([ok, cloudEvent('Sold', aMinuteAgo(), { item: 'explode', units: 1, price: 1 })]);
    const answer = await postText(base, body);
    expect({ status: answer.status, applied: answer.body.applied, message: answer.body.error.message }).toEqual({
      status: 207,
      applied: 1,
      message: 'data: rollup "sales" cannot derive its measures from this fact',
    });
  });
});
