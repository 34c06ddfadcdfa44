import type { GraphQLDataSource } from '@apollo/gateway';
import { coalesceEntityFetches } from '../../../gateway/subscriptions/coalesceEntityFetches.js';

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
