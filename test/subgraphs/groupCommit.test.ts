/**
 * Group commit through `POST /events` (issue #13; `ingest/createIngestBatcher.ts`): requests that arrive
 * while a transaction is being applied go together into the next one, and each request is still answered
 * with its own per-event report once that transaction committed. The store's applies are counted by
 * wrapping the runtime's store; the first apply is held open until every later request has arrived, so the
 * grouping does not depend on timing.
 */
import type { StoredFact } from '../../subgraphs/kit/store/Store.js';
import { deferred, withTimeout } from '../support/asyncWait.js';
import { startTestSubgraph, type TestSubgraph } from '../support/startTestSubgraph.js';
import { orderPlaced } from './cloudEvents.js';

const TOTALS = /* GraphQL */ `
  query Totals($from: DateTime!, $to: DateTime!) {
    orderHistory(range: { from: $from, to: $to }, granularity: DAY) {
      total {
        orders
        units
      }
    }
  }
`;

describe('group commit of concurrent POST /events', () => {
  let orders: TestSubgraph;
  afterEach(() => orders?.close());

  it('should apply requests that arrive during a transaction in one transaction, answer each with its own report, and reject only the bad fact', async () => {
    orders = await startTestSubgraph('orders');
    const { runtime } = orders;
    const store = runtime.store;
    const applies: string[][] = [];
    const firstHeld = deferred();
    const release = deferred();
    const apply = store.apply.bind(store);
    store.apply = async (facts: StoredFact[], project) => {
      applies.push(facts.map((fact) => fact.id));
      if (applies.length === 1) {
        firstHeld.resolve();
        await release.promise;
      }
      return apply(facts, project);
    };
    const arrivedAll = deferred();
    let arrived = 0;
    const ingest = runtime.ingest.bind(runtime);
    runtime.ingest = (events) => {
      if (++arrived === 6) arrivedAll.resolve();
      return ingest(events);
    };

    const first = orderPlaced('2025-03-01T10:00:00Z', { quantity: 1 });
    const answers = [orders.postEvents(first)];
    await withTimeout(firstHeld.promise, 'the first transaction');
    const singles = [1, 2, 3, 4].map((i) => orderPlaced(`2025-03-01T10:0${i}:00Z`, { quantity: 1 }));
    const good = orderPlaced('2025-03-01T10:05:00Z', { quantity: 1 });
    const bad = { ...orderPlaced('2025-03-01T10:06:00Z'), time: 'yesterday' };
    answers.push(...singles.map((event) => orders.postEvents(event)), orders.postEvents([good, bad]));
    await withTimeout(arrivedAll.promise, 'every request to reach ingestion');
    release.resolve();
    const [firstAnswer, ...rest] = await Promise.all(answers);

    expect(applies).toEqual([[first.id], [...singles.map((event) => event.id), good.id]]);
    expect(firstAnswer).toEqual({
      status: 200,
      body: { applied: 1, duplicates: 0, rejected: 0, events: [{ index: 0, status: 'applied', source: first.source, id: first.id }] },
    });
    rest.slice(0, 4).forEach((answer, i) => {
      expect(answer).toEqual({
        status: 200,
        body: { applied: 1, duplicates: 0, rejected: 0, events: [{ index: 0, status: 'applied', source: singles[i].source, id: singles[i].id }] },
      });
    });
    const mixed = rest[4];
    expect(mixed.status).toBe(207);
    expect(mixed.body).toMatchObject({ applied: 1, duplicates: 0, rejected: 1, error: { code: 'BAD_EVENT', field: 'time' } });
    expect(mixed.body.events).toEqual([
      { index: 0, status: 'applied', source: good.source, id: good.id },
      expect.objectContaining({ index: 1, status: 'rejected', id: bad.id, field: 'time' }),
    ]);
    const { data } = await orders.graphql(TOTALS, { from: '2025-03-01T00:00:00Z', to: '2025-03-02T00:00:00Z' });
    expect(data.orderHistory.total).toEqual({ orders: 6, units: 6 });
    expect((await store.deadLetters(10)).map((letter) => letter.id)).toEqual([bad.id]);
  });
});
