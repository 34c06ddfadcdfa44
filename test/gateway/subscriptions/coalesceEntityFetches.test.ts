import type { GraphQLDataSource } from '@apollo/gateway';
import { coalesceEntityFetches } from '../../../gateway/subscriptions/coalesceEntityFetches.js';
import { withTimeout } from '../../support/asyncWait.js';

type ProcessOptions = Parameters<GraphQLDataSource['process']>[0];

const ENTITIES = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Product{name}}}';

/** A data source that records what it was asked and answers each representation with its id, failing "bad" ones. */
function recordingSource() {
  const calls: ProcessOptions[] = [];
  const source: GraphQLDataSource = {
    async process(options) {
      calls.push(options);
      const representations = (options.request.variables?.representations ?? []) as Array<{ id: string }>;
      const errors = representations.flatMap((r, index) => (r.id === 'bad' ? [{ message: 'no such product', path: ['_entities', index, 'name'] }] : []));
      return {
        data: { _entities: representations.map((r) => (r.id === 'bad' ? null : { name: `product ${r.id}` })) },
        ...(errors.length > 0 && { errors }),
      };
    },
  };
  return { source, calls };
}

const entityFetch = (ids: string[], extra: Record<string, unknown> = {}) =>
  ({
    request: { query: ENTITIES, variables: { representations: ids.map((id) => ({ __typename: 'Product', id })), ...extra } },
    context: {},
  }) as unknown as ProcessOptions;

describe('coalesceEntityFetches', () => {
  it('should send the entity fetches of one turn as one request and give each caller its own entities and errors', async () => {
    const { source, calls } = recordingSource();
    const { catalog } = coalesceEntityFetches({ catalog: source });
    const [first, second, third] = await Promise.all([
      catalog.process(entityFetch(['p1', 'p2'])),
      catalog.process(entityFetch(['bad', 'p3'])),
      catalog.process(entityFetch(['p4'])),
    ]);
    expect(calls).toHaveLength(1);
    expect(calls[0].request.variables!.representations).toHaveLength(5);
    expect(first).toEqual({ data: { _entities: [{ name: 'product p1' }, { name: 'product p2' }] } });
    expect(second).toEqual({ data: { _entities: [null, { name: 'product p3' }] }, errors: [{ message: 'no such product', path: ['_entities', 0, 'name'] }] });
    expect(third).toEqual({ data: { _entities: [{ name: 'product p4' }] } });
  });

  it('should keep fetches with other variables, and fetches of later turns, apart', async () => {
    const { source, calls } = recordingSource();
    const { catalog } = coalesceEntityFetches({ catalog: source });
    await Promise.all([catalog.process(entityFetch(['p1'], { locale: 'en' })), catalog.process(entityFetch(['p2'], { locale: 'fr' }))]);
    expect(calls).toHaveLength(2);
    await catalog.process(entityFetch(['p3']));
    await catalog.process(entityFetch(['p4']));
    expect(calls).toHaveLength(4);
  });

  it('should fail every caller of a merged request that fails, and pass other requests through', async () => {
    const failing: GraphQLDataSource = {
      async process(options) {
        if (options.request.variables?.representations) throw new Error('catalog unreachable');
        return { data: { ok: true } };
      },
    };
    const { catalog } = coalesceEntityFetches({ catalog: failing });
    const results = await Promise.allSettled([catalog.process(entityFetch(['p1'])), catalog.process(entityFetch(['p2']))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(catalog.process({ request: { query: '{ ok }' }, context: {} } as unknown as ProcessOptions)).resolves.toEqual({ data: { ok: true } });
  });
});

describe('coalesceEntityFetches with request deadlines', () => {
  /** A data source that answers only when told to, recording the context of each request. */
  function heldSource() {
    const contexts: unknown[] = [];
    const answers: Array<() => void> = [];
    const source: GraphQLDataSource = {
      process(options) {
        contexts.push(options.context);
        const representations = (options.request.variables?.representations ?? []) as Array<{ id: string }>;
        return new Promise((resolve) => answers.push(() => resolve({ data: { _entities: representations.map((r) => ({ name: `product ${r.id}` })) } })));
      },
    };
    return { source, contexts, answers };
  }
  const fetchIn = (context: object, ids: string[]) => ({ ...(entityFetch(ids) as object), context }) as unknown as ProcessOptions;

  it('should send a merged fetch under the latest deadline and let an earlier one end its own wait', async () => {
    const { source, contexts, answers } = heldSource();
    // An old event's chained fetch (deadline soon) and a new event's first fetch (deadline far away).
    const oldEvent = {};
    const newEvent = {};
    const deadlines = new Map<object, number>([
      [oldEvent, Date.now() + 50],
      [newEvent, Date.now() + 60_000],
    ]);
    const { catalog } = coalesceEntityFetches({ catalog: source }, (context) => deadlines.get(context as object));

    const old = catalog.process(fetchIn(oldEvent, ['p1'])).catch((error: unknown) => error);
    const fresh = catalog.process(fetchIn(newEvent, ['p2']));

    // The old event stops waiting at its deadline while the merged request is still unanswered.
    expect(await withTimeout(old, 'the old event to stop waiting')).toMatchObject({ extensions: { code: 'GATEWAY_TIMEOUT', serviceName: 'catalog' } });
    expect(contexts).toEqual([newEvent]);
    answers[0]();
    expect(await fresh).toEqual({ data: { _entities: [{ name: 'product p2' }] } });
  });

  it('should not merge a fetch whose deadline has passed, and send it nowhere', async () => {
    const { source, contexts, answers } = heldSource();
    const spent = {};
    const live = {};
    const deadlines = new Map<object, number>([
      [spent, Date.now() - 1],
      [live, Date.now() + 60_000],
    ]);
    const { catalog } = coalesceEntityFetches({ catalog: source }, (context) => deadlines.get(context as object));
    const late = catalog.process(fetchIn(spent, ['p1'])).catch((error: unknown) => error);
    const fine = catalog.process(fetchIn(live, ['p2']));
    expect(await withTimeout(late, 'the spent fetch to fail')).toMatchObject({ extensions: { code: 'GATEWAY_TIMEOUT' } });
    await new Promise((resolve) => setImmediate(resolve));
    answers[0]();
    expect(await fine).toEqual({ data: { _entities: [{ name: 'product p2' }] } });
    expect(contexts).toEqual([live]);
  });
});
