/**
 * The subscription guard without servers: a stand-in executor whose events the test pushes (applying
 * the request's scope as the real executor does: the client's expiry check, then the group's per-event
 * transform), a clock the test moves. Decisions are re-made per event; an expired token ends the stream
 * through `onExpired`.
 */
import { parse, print, type ExecutionResult } from 'graphql';
import { loadAuthSchema } from '../../gateway/auth/AuthSchema.js';
import { authorizeSubscription, type AuthorizedSubscriptionRequest } from '../../gateway/auth/authorizeSubscription.js';
import type { FieldAuthAuditLine } from '../../gateway/auth/auditFieldAuth.js';
import { PushQueue } from '../../core/async/PushQueue.js';
import { fixtureSupergraph, principal } from './authFixtures.js';

const authSchema = loadAuthSchema(fixtureSupergraph());
let flag = true;
const policies = { flag: () => flag };

function harness(options: { expiresAt?: number; scopes?: string[] | null } = {}) {
  let now = 1_000_000_000_000;
  const opened: AuthorizedSubscriptionRequest[] = [];
  const queue = new PushQueue<ExecutionResult>(() => void (ended = true));
  let scope: AuthorizedSubscriptionRequest['scope'] | undefined;
  const push = async (value: ExecutionResult) => {
    if (scope?.checks?.expired()) {
      scope.checks.onExpired();
      queue.end();
      return;
    }
    const { result, last } = scope?.transform ? await scope.transform(value) : { result: value, last: false };
    queue.push(result);
    if (last) queue.end();
  };
  let ended = false;
  let expired = 0;
  const audit: FieldAuthAuditLine[] = [];
  const run = (query: string, operationName?: string) =>
    authorizeSubscription({
      authSchema,
      request: {
        document: parse(query),
        operationName,
        context: { principal: principal(options.scopes === undefined ? [] : options.scopes, {}, options.expiresAt) },
      },
      subscribe: async (request) => {
        opened.push(request);
        scope = request.scope;
        return queue;
      },
      onExpired: () => void expired++,
      policies,
      audit: (line) => void audit.push(line),
      now: () => now,
    });
  return {
    run,
    opened,
    push,
    advance: (ms: number) => void (now += ms),
    get upstreamEnded() {
      return ended;
    },
    get expired() {
      return expired;
    },
    audit,
  };
}

type Stream = AsyncIterableIterator<ExecutionResult>;

beforeEach(() => {
  flag = true;
});

it('should end the stream and call onExpired on the first event after the token expired', async () => {
  const h = harness({ expiresAt: 1_000_000_000 + 10 });
  const stream = (await h.run('subscription { ticks { n } }')) as Stream;
  await h.push({ data: { ticks: { n: 1 } } });
  expect((await stream.next()).value).toEqual({ data: { ticks: { n: 1 } } });
  h.advance(11_000);
  await h.push({ data: { ticks: { n: 2 } } });
  expect(await stream.next()).toEqual({ done: true, value: undefined });
  expect(h.expired).toBe(1);
  expect(h.upstreamEnded).toBe(true);
});

it('should refuse to open a subscription for an already expired token', async () => {
  const h = harness({ expiresAt: 1_000_000_000 - 1 });
  expect(await h.run('subscription { ticks { n } }')).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })] });
  expect(h.expired).toBe(1);
  expect(h.opened).toEqual([]);
});

it('should make decisions again for every event (a policy may change its mind)', async () => {
  const h = harness();
  const stream = (await h.run('subscription { ticks { n note } }')) as Stream;
  await h.push({ data: { ticks: { n: 1, note: 'hello' } } });
  expect((await stream.next()).value).toEqual({ data: { ticks: { n: 1, note: 'hello' } } });
  flag = false;
  await h.push({ data: { ticks: { n: 2, note: 'hello' } } });
  const second = (await stream.next()).value;
  expect(second.data).toEqual({ ticks: { n: 2, note: null } });
  expect(second.errors.map((e: { path: string[] }) => e.path)).toEqual([['ticks', 'note']]);
  expect(h.audit.at(-1)).toMatchObject({ coordinates: ['Tick.note'], decision: 'denied' });
  // A field denied at subscribe time was never fetched: allowing it later cannot bring it back.
  flag = true;
  await h.push({ data: { ticks: { n: 3, note: 'hello' } } });
  expect((await stream.next()).value).toEqual({ data: { ticks: { n: 3, note: 'hello' } } });
});

it('should plan without the denied fields and null them per event', async () => {
  flag = false;
  const h = harness();
  const stream = (await h.run('subscription { ticks { n note } }')) as Stream;
  expect(print(h.opened[0].document).replace(/\s+/g, ' ')).toBe('subscription { ticks { n } }');
  await h.push({ data: { ticks: { n: 1 } } });
  const { value } = await stream.next();
  expect(value).toEqual({ data: { ticks: { n: 1, note: null } }, errors: [expect.objectContaining({ path: ['ticks', 'note'] })] });
});

it('should answer a denied root field with errors and open nothing', async () => {
  const h = harness({ scopes: null });
  expect(await h.run('subscription { ticks { n } }')).toEqual({
    errors: [expect.objectContaining({ path: ['ticks'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } })],
  });
  expect(h.opened).toEqual([]);
});

it('should refuse an invalid document and open nothing (fail closed)', async () => {
  const h = harness();
  expect(await h.run('subscription { nope }')).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })] });
  expect(h.opened).toEqual([]);
});

it.each([
  ['""', ''],
  ['an unknown name', 'Nope'],
  ['no name among several operations', undefined],
])('should refuse an operation that cannot be resolved (%s), audit it and open nothing', async (_what, operationName) => {
  const h = harness({ scopes: null });
  const document = 'subscription A { ticks { n } } subscription B { ticks { n } }';
  const single = 'subscription { ticks { n } }';
  const result = await h.run(operationName === undefined ? document : single, operationName);
  expect(result).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })] });
  expect(h.opened).toEqual([]);
  expect(h.audit).toEqual([expect.objectContaining({ decision: 'refused', coordinates: [] })]);
});

it('should hand the executor only the selected operation, under its name', async () => {
  const h = harness();
  await h.run('subscription A { ticks { note } } subscription B { ticks { n } }', 'B');
  expect(h.opened).toHaveLength(1);
  expect(h.opened[0].operationName).toBe('B');
  expect(print(h.opened[0].document).replace(/\s+/g, ' ').trim()).toBe('subscription B { ticks { n } }');
});

it('should end the upstream when the client stops', async () => {
  const h = harness();
  const stream = (await h.run('subscription { ticks { n } }')) as Stream;
  await stream.return!();
  expect(h.upstreamEnded).toBe(true);
});

describe('the group key', () => {
  const keyOf = async (query: string, scopes: string[], claims: Record<string, unknown> = {}) => {
    let key: string | undefined;
    await authorizeSubscription({
      authSchema,
      request: { document: parse(query), context: { principal: principal(scopes, claims, 2_000_000_000) } },
      subscribe: async (request) => {
        key = request.scope.key;
        return { data: null };
      },
      onExpired: () => {},
      policies,
      audit: () => {},
    });
    return key;
  };

  it('should be the same for callers with the same scopes, whoever they are, in any order', async () => {
    expect(await keyOf('subscription { ticks { n } }', ['a', 'b'], { sub: 'alice' })).toBe(
      await keyOf('subscription { ticks { n } }', ['b', 'a'], { sub: 'bob' }),
    );
  });

  it('should differ between scope sets', async () => {
    expect(await keyOf('subscription { ticks { n } }', ['a'])).not.toBe(await keyOf('subscription { ticks { n } }', ['a', 'b']));
  });

  it('should hold the claims when the operation reaches a @policy field (a policy may read any claim)', async () => {
    const query = 'subscription { ticks { n note } }';
    expect(await keyOf(query, ['a'], { team: 'red' })).not.toBe(await keyOf(query, ['a'], { team: 'blue' }));
    expect(await keyOf(query, ['a'], { team: 'red' })).toBe(await keyOf(query, ['a'], { team: 'red' }));
  });
});
