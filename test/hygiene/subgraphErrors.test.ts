/**
 * Error hygiene of a real demo subgraph over HTTP: JSON errors (never Express's HTML page), no stack
 * traces whatever NODE_ENV says, no internal detail, and 4xx for input that will fail again.
 */
import { orderPlaced } from '../subgraphs/cloudEvents.js';
import { startTestSubgraph, type TestSubgraph } from '../support/startTestSubgraph.js';
import { expectNoLeak, expectPublicError, fetchAnswer } from './expectPublicError.js';

const json = { 'content-type': 'application/json' };
const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
const INTERNAL_DETAIL = 'IO Error: cannot open /work/secret/mesh.duckdb (postgres://mesh@127.0.0.1:5432/db)';

describe('subgraph error hygiene', () => {
  let orders: TestSubgraph;
  const previousNodeEnv = process.env.NODE_ENV;

  beforeAll(async () => {
    // Apollo Server includes stack traces unless NODE_ENV is production or test: prove they stay out anyway.
    process.env.NODE_ENV = 'development';
    orders = await startTestSubgraph('orders');
  });
  afterAll(async () => {
    process.env.NODE_ENV = previousNodeEnv;
    await orders?.close();
  });

  it('should answer malformed JSON on /graphql with a JSON 400 BAD_REQUEST', async () => {
    expectPublicError(await fetchAnswer(orders.url, { method: 'POST', headers: json, body: '{"query": ' }), 400, 'BAD_REQUEST');
  });

  it('should answer 100k-deep JSON on /graphql with a JSON 400 JSON_TOO_DEEP', async () => {
    const body = `{"query":"{ __typename }","variables":{"v":${deep(100_000)}}}`;
    expectPublicError(await fetchAnswer(orders.url, { method: 'POST', headers: json, body }), 400, 'JSON_TOO_DEEP');
  });

  it('should answer a body over the limit on /graphql with a JSON 413', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(1_100_000) } });
    expectPublicError(await fetchAnswer(orders.url, { method: 'POST', headers: json, body }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('should answer unknown routes with a JSON 404', async () => {
    expectPublicError(await fetchAnswer(`${orders.base}/nope`), 404, 'NOT_FOUND');
    expectPublicError(await fetchAnswer(`${orders.base}/events`), 404, 'NOT_FOUND');
  });

  it('should answer an 11 MB /events body with a JSON 413 PAYLOAD_TOO_LARGE', async () => {
    const body = JSON.stringify([{ pad: 'x'.repeat(11 * 1024 * 1024) }]);
    expectPublicError(await fetchAnswer(`${orders.base}/events`, { method: 'POST', headers: json, body }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('should answer 100k-deep JSON on /events with a JSON 400 JSON_TOO_DEEP and dead-letter it', async () => {
    expectPublicError(await fetchAnswer(`${orders.base}/events`, { method: 'POST', headers: json, body: deep(100_000) }), 400, 'JSON_TOO_DEEP');
    const [letter] = await orders.runtime.store.deadLetters(1);
    expect(letter.reason).toMatch(/deeper than 64 levels/);
  });

  it('should mask an unexpected resolver failure and never send its stack', async () => {
    const store = orders.runtime.store;
    const readStates = store.readStates;
    store.readStates = async () => {
      throw new Error(INTERNAL_DETAIL);
    };
    try {
      const answer = await fetchAnswer(orders.url, { method: 'POST', headers: json, body: JSON.stringify({ query: '{ order(id: "o-1") { id } }' }) });
      expect(answer.status).toBe(200);
      expect(answer.body.errors).toEqual([
        {
          message: 'internal error; the detail is in the subgraph log',
          locations: expect.any(Array),
          path: ['order'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ]);
      expectNoLeak(answer.text);
      expect(answer.text).not.toContain('mesh.duckdb');
    } finally {
      store.readStates = readStates;
    }
  });

  it('should keep coded errors as they are, without a stack', async () => {
    const query = '{ orderHistory(range: { from: "2025-01-02T00:00:00Z", to: "2025-01-01T00:00:00Z" }, granularity: DAY) { asOf } }';
    const answer = await fetchAnswer(orders.url, { method: 'POST', headers: json, body: JSON.stringify({ query }) });
    expect(answer.body.errors[0].extensions).toEqual(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(Object.keys(answer.body.errors[0].extensions)).not.toContain('stacktrace');
    expectNoLeak(answer.text);
  });

  it('should answer a store failure during ingestion with 503 STORE_UNAVAILABLE and no store detail', async () => {
    const store = orders.runtime.store;
    const apply = store.apply;
    store.apply = async () => {
      throw new Error(INTERNAL_DETAIL);
    };
    try {
      const answer = await fetchAnswer(`${orders.base}/events`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(orderPlaced(new Date(Date.now() - 60_000))),
      });
      expectPublicError(answer, 503, 'STORE_UNAVAILABLE');
      expect(answer.body.error.message).toMatch(/retry/);
      expect(answer.text).not.toContain('mesh.duckdb');
    } finally {
      store.apply = apply;
    }
  });

  it('should not leak the store error in /ready', async () => {
    const store = orders.runtime.store;
    const watermark = store.watermark;
    store.watermark = async () => {
      throw new Error(INTERNAL_DETAIL);
    };
    try {
      const answer = await fetchAnswer(`${orders.base}/ready`);
      expect({ status: answer.status, body: answer.body }).toEqual({ status: 503, body: { status: 'unavailable', reason: 'the store is not answering' } });
      expectNoLeak(answer.text);
    } finally {
      store.watermark = watermark;
    }
  });
});
