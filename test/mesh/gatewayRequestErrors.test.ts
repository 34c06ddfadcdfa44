/**
 * Request errors the gateway answers itself, before planning, as a client of this API makes them:
 * - `DateTime` inputs (gateway/supergraph/checkDateTimeInputs.ts): a timestamp the subgraphs would refuse
 *   is a request error (no `data`) that says which argument type or variable is wrong and what a DateTime
 *   must be, never a subgraph's "failed to answer";
 * - an operation type the API does not offer (gateway/http/knownOperationTypesRule.ts): a mutation is a
 *   validation error, over HTTP and over websockets, not a 500.
 */
import { record, trackedClient } from './meshClients.js';
import { startTestMesh, type TestMesh } from '../support/startTestMesh.js';

const MUST_BE = 'DateTime must be an ISO-8601 timestamp with a zone, e.g. 2024-05-01T00:00:00Z';

describe('request errors answered by the gateway', () => {
  let mesh: TestMesh;
  beforeAll(async () => {
    mesh = await startTestMesh();
  });
  afterAll(() => mesh?.close());

  const withVariables = `query ($from: DateTime!, $to: DateTime!) { orderHistory(range: { from: $from, to: $to }, granularity: DAY) { total { orders } } }`;
  const post = async (body: unknown, accept = 'application/graphql-response+json') => {
    const response = await fetch(mesh.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions: { code: string } }> } };
  };

  it('should refuse a date without a time in a literal with 400, naming the type and what a DateTime must be', async () => {
    const { status, body } = await post({
      query: `{ orderHistory(range: { from: "2026-12-01", to: "2026-12-02T00:00:00Z" }, granularity: DAY) { total { orders } } }`,
    });
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: `Expected value of type "DateTime!", found "2026-12-01"; ${MUST_BE}; got "2026-12-01"`,
        extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
      }),
    ]);
  });

  it('should refuse a literal that is not a string', async () => {
    const { status, body } = await post({ query: `{ orderHistory(range: { from: 123, to: "2026-12-02T00:00:00Z" }, granularity: DAY) { total { orders } } }` });
    expect(status).toBe(400);
    expect(body.errors?.map((e) => e.message)).toEqual([
      'Expected value of type "DateTime!", found 123; DateTime must be a string, e.g. "2024-05-01T00:00:00Z"',
    ]);
  });

  it.each([['yesterday'], ['2026-13-45T00:00:00Z'], ['2026-12-01T00:00:00']])('should refuse the variable value %p, naming the variable', async (from) => {
    const { status, body } = await post({ query: withVariables, variables: { from, to: '2026-12-02T00:00:00Z' } });
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: `Variable "$from" got invalid value ${JSON.stringify(from)}; ${MUST_BE}; got ${JSON.stringify(from)}`,
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
      }),
    ]);
  });

  it('should refuse a variable that is not a string', async () => {
    const { body } = await post({ query: withVariables, variables: { from: 123, to: '2026-12-02T00:00:00Z' } });
    expect(body.errors?.map((e) => e.message)).toEqual([
      'Variable "$from" got invalid value 123; DateTime must be a string, e.g. "2024-05-01T00:00:00Z"; got 123',
    ]);
  });

  it('should answer an application/json client with the same errors, status 200, as for any request error', async () => {
    const { status, body } = await mesh.query(withVariables, { from: 'yesterday', to: '2026-12-02T00:00:00Z' });
    expect(status).toBe(200);
    expect(body).toEqual({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })] });
  });

  it('should pass a good timestamp on as written, offset included', async () => {
    const { range } = mesh.story;
    const from = new Date(range.from).toISOString().replace('Z', '+00:00');
    const { status, body } = await post({ query: withVariables, variables: { from, to: range.to } });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect((body.data as { orderHistory: { total: { orders: number } } }).orderHistory.total.orders).toBeGreaterThan(0);
  });

  it('should refuse a bad DateTime variable of a subscription up front, naming the variable', async () => {
    const { client } = trackedClient(mesh.gateway.url.replace(/^http/, 'ws'));
    try {
      const answer = record(client, {
        query: 'subscription ($f: DateTime!, $t: DateTime!) { orderBucketUpdated { product { sales(range: { from: $f, to: $t }) { total { units } } } } }',
        variables: { f: 'yesterday', t: '2026-12-02T00:00:00Z' },
      });
      const { error } = await answer.ended;
      const errors = (error ?? answer.events[0]?.errors) as Array<{ message: string; extensions?: { code?: string } }>;
      expect(errors).toEqual([
        expect.objectContaining({
          message: `Variable "$f" got invalid value "yesterday"; ${MUST_BE}; got "yesterday"`,
          extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
        }),
      ]);
    } finally {
      await client.dispose();
    }
  });

  it.each([['mutation { x }'], ['mutation { __typename }'], ['mutation Named($a: Int) { anything(a: $a) }']])(
    'should refuse %p as a validation error (400), not a planner failure (500)',
    async (query) => {
      const { status, body } = await post({ query });
      expect(status).toBe(400);
      expect(body).toEqual({
        errors: [
          expect.objectContaining({
            message: 'The mutation operation is not supported by the schema; it offers query and subscription operations.',
            extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
          }),
        ],
      });
    },
  );

  it('should refuse a mutation over a websocket the same way', async () => {
    const { client } = trackedClient(mesh.gateway.url.replace(/^http/, 'ws'));
    try {
      const answer = record(client, { query: 'mutation { x }' });
      const { error } = await answer.ended;
      const errors = (error ?? answer.events[0]?.errors) as Array<{ message: string; extensions?: { code?: string } }>;
      expect(errors).toEqual([
        expect.objectContaining({
          message: 'The mutation operation is not supported by the schema; it offers query and subscription operations.',
          extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }),
        }),
      ]);
    } finally {
      await client.dispose();
    }
  });
});
