/**
 * Authorization is linear in the size of the document (issue #8): fragment F_k spreads F_(k-1) twice
 * over a denied field, so the operation expands to 2^30 selections from a few hundred bytes. The auth
 * functions must answer it in milliseconds, on their own (operation limits may refuse it earlier in the
 * gateway; auth must not depend on them), and so must the gateway.
 */
import { parse, type ExecutionResult } from 'graphql';
import { loadAuthSchema } from '../../gateway/auth/AuthSchema.js';
import { authorizeOperation, deniedPaths, deniesRootField } from '../../gateway/auth/authorizeOperation.js';
import { authorizeSubscription } from '../../gateway/auth/authorizeSubscription.js';
import { replayWithDenials } from '../../gateway/auth/replayWithDenials.js';
import { startAuthMesh, type AuthMesh } from '../support/startAuthMesh.js';
import { fixtureSupergraph, principal } from './authFixtures.js';

const K = 30;
/** `F0` selects `leaf`; `F_k` spreads `F_(k-1)` twice: `F_K` expands to 2^K copies of `leaf`. */
function doubling(on: string, leaf: string, k = K): string {
  const fragments = [`fragment F0 on ${on} { ${leaf} }`];
  for (let i = 1; i <= k; i++) fragments.push(`fragment F${i} on ${on} { ...F${i - 1} ...F${i - 1} }`);
  return fragments.join('\n');
}
const BUDGET_MS = 1_000;

const elapsed = async <T>(run: () => T | Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const value = await run();
  return [value, performance.now() - start];
};

describe('the auth functions on a 2^30 fragment expansion', () => {
  const authSchema = loadAuthSchema(fixtureSupergraph());
  const document = parse(`{ account { ...F${K} } } ${doubling('Account', 'id balance')}`);

  it('should authorize, list denied paths and replay in milliseconds', async () => {
    const [authorization, authorizing] = await elapsed(() => authorizeOperation({ authSchema, principal: principal([]), document })!);
    expect([...authorization.denied.values()].map((d) => d.coordinate)).toEqual(['Account.balance']);
    const [paths, listing] = await elapsed(() => deniedPaths(authorization));
    expect(paths.map((p) => p.path)).toEqual([['account', 'balance']]);
    expect(deniesRootField(authorization)).toBe(false);
    const [replayed, replaying] = await elapsed(() => replayWithDenials({ authSchema, authorization, result: { data: { account: { id: 'a1' } } } }));
    expect(replayed.data).toEqual({ account: { id: 'a1', balance: null } });
    expect(replayed.errors?.map((e) => e.path)).toEqual([['account', 'balance']]);
    const [, replayingWithoutData] = await elapsed(() => replayWithDenials({ authSchema, authorization, result: { data: null } }));
    expect(authorizing + listing + replaying + replayingWithoutData).toBeLessThan(BUDGET_MS);
  });

  it('should list each path once however many spreads reach it', () => {
    // Another alias per level: 31 distinct paths under each root, each reached 2^k times.
    const fragments = ['fragment G0 on Account { balance }'];
    for (let i = 1; i <= K; i++) fragments.push(`fragment G${i} on Account { ...G${i - 1} x${i}: balance ...G${i - 1} }`);
    const nested = parse(`{ a: account { ...G${K} } b: account { ...G${K} } } ${fragments.join(' ')}`);
    const authorization = authorizeOperation({ authSchema, principal: principal([]), document: nested })!;
    const start = performance.now();
    const paths = deniedPaths(authorization);
    expect(performance.now() - start).toBeLessThan(BUDGET_MS);
    expect(paths.length).toBe(2 * (K + 1));
  });

  it('should authorize a subscription and every event in milliseconds', async () => {
    const subscription = parse(`subscription { ticks { ...F${K} } } ${doubling('Tick', 'n note')}`);
    // A stand-in executor: one event, through the group's per-event transform as the real one runs it.
    async function* events(transform: (result: ExecutionResult) => Promise<{ result: ExecutionResult }>): AsyncGenerator<ExecutionResult> {
      yield (await transform({ data: { ticks: { n: 1 } } })).result;
    }
    const [stream, opening] = await elapsed(() =>
      authorizeSubscription({
        authSchema,
        request: { document: subscription, context: { principal: principal([]) } },
        subscribe: async (request) => events(request.scope.transform!),
        onExpired: () => {},
        audit: () => {},
      }),
    );
    const iterator = stream as AsyncIterableIterator<ExecutionResult>;
    const [first, perEvent] = await elapsed(() => iterator.next());
    expect(first.value).toEqual({ data: { ticks: { n: 1, note: null } }, errors: [expect.objectContaining({ path: ['ticks', 'note'] })] });
    expect(opening + perEvent).toBeLessThan(BUDGET_MS);
  });
});

describe('the gateway on a 2^30 fragment expansion', () => {
  let mesh: AuthMesh;
  beforeAll(async () => {
    mesh = await startAuthMesh();
  });
  afterAll(() => mesh?.close());

  const query = `query($r: TimeRangeInput!) { orderHistory(range: $r, granularity: DAY) { total { ...F${K} } } } ${doubling('OrderTotals', 'orders revenue')}`;

  it.each([
    ['a caller without finance:read (revenue denied deep inside)', ['orders:read']],
    ['an anonymous caller (the root denied)', null],
    ['a caller who may see everything', ['finance:read']],
  ] as Array<[string, string[] | null]>)('should answer or refuse %s in milliseconds, without blocking other requests', async (_who, scopes) => {
    const token = scopes === null ? undefined : await mesh.token({ scopes });
    const start = performance.now();
    const [{ status, body }, other] = await Promise.all([mesh.query(query, { token, variables: { r: mesh.story.range } }), mesh.query('{ categories }')]);
    expect(performance.now() - start).toBeLessThan(5 * BUDGET_MS);
    expect(other.body).toEqual({ extensions: { dataProducts: expect.any(Array) }, data: { categories: ['home', 'kitchen'] } });
    if (status === 200) {
      const revenue = body.data?.orderHistory?.total?.revenue;
      if (scopes?.includes('finance:read')) expect(revenue).toBe(270);
      else expect(revenue ?? null).toBeNull();
    } else {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
    }
  });
});
