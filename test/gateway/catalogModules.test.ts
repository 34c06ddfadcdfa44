/**
 * The catalog's pure parts (join-directive ownership, access wording, generated examples, filters), the
 * IDE's JSON embedding, and the gateway's collection of `extensions.dataProducts` from subgraph answers.
 */
import type { GraphQLDataSource } from '@apollo/gateway';
import { buildSchema, parse } from 'graphql';
import { exampleOperations } from '../../gateway/catalog/exampleOperations.js';
import { filterProducts } from '../../gateway/catalog/filterProducts.js';
import { describeAccess } from '../../gateway/catalog/productView.js';
import { readSubgraphOwnership } from '../../gateway/catalog/readSubgraphOwnership.js';
import { useDataProductsExtension } from '../../gateway/extensions/useDataProductsExtension.js';
import { jsonForScript } from '../../gateway/ide/renderIdePage.js';

describe('readSubgraphOwnership', () => {
  it('should give each subgraph its own and shared fields, never external ones', () => {
    const ownership = readSubgraphOwnership(
      parse(`
        enum join__Graph { A @join__graph(name: "alpha", url: "http://a") B @join__graph(name: "beta", url: "http://b") }
        type Thing @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
          id: ID!
          name: String @join__field(graph: A) @join__field(graph: B, external: true)
          extra: Int @join__field(graph: B)
        }
        type Plain @join__type(graph: A) { value: Int }
      `),
    );

    expect(ownership.fields.get('alpha')).toEqual(
      new Map([
        ['Thing', ['id', 'name']],
        ['Plain', ['value']],
      ]),
    );
    expect(ownership.fields.get('beta')).toEqual(new Map([['Thing', ['id', 'extra']]]));
    expect(ownership.entities).toEqual(
      new Map([
        [
          'Thing',
          new Map([
            ['alpha', ['id', 'name']],
            ['beta', ['id', 'extra']],
          ]),
        ],
      ]),
    );
  });
});

describe('describeAccess', () => {
  it('should word public, authenticated, scopes with and/or, and policies', () => {
    expect(describeAccess(null)).toBe('public');
    expect(describeAccess({ authenticated: false, scopes: [], policies: [] })).toBe('public');
    expect(describeAccess({ authenticated: true, scopes: [], policies: [] })).toBe('authenticated');
    expect(describeAccess({ authenticated: false, scopes: [[['a', 'b'], ['c']]], policies: [[['p']]] })).toBe('a and b or c; p');
  });
});

describe('exampleOperations', () => {
  const schema = buildSchema(`
    scalar DateTime
    enum Level { LOW MID }
    input Range { from: DateTime! to: DateTime! }
    input Weird { shape: Shape! }
    interface Shape { id: ID! }
    type Inner { x: Int secret: Int deeper: Deep }
    type Deep { y: Int deepest: Deepest }
    type Deepest { z: Int }
    type Item { id: ID! flag: Boolean size: Float inner: Inner withArg(n: Int!): Int }
    type Query {
      items(range: Range!, levels: [Level!]!, ids: [ID!]!, n: Int!, f: Float!, b: Boolean!, s: String!, timeZone: String!): [Item!]!
      count: Int!
      shape: Shape
      secretItems: [Item!]
    }
    type Subscription { itemChanged: Item }
  `);
  const requirementOf = (type: string, field: string) =>
    (type === 'Inner' && field === 'secret') || field === 'secretItems' ? { authenticated: true, scopes: [[['s']]], policies: [] } : null;

  it('should fill required arguments, select unscoped leaves a few levels deep and skip what cannot be shown', () => {
    const examples = exampleOperations(schema, {
      rootFields: new Map([
        ['Query', ['items', 'count', 'shape', 'secretItems', 'missing']],
        ['Subscription', ['itemChanged']],
      ]),
      requirementOf,
      now: new Date('2026-03-10T12:00:00Z'),
    });

    expect(examples.map((x) => x.coordinate)).toEqual(['Query.items', 'Query.count', 'Subscription.itemChanged']);
    expect(examples[0].query).toBe(
      'query Items {\n  items(range: { from: "2026-03-09T00:00:00.000Z", to: "2026-03-11T00:00:00.000Z" }, levels: [LOW], ids: ["example"], n: 10, f: 1.5, b: true, s: "example", timeZone: "UTC") {\n    id\n    flag\n    size\n    inner {\n      x\n    }\n  }\n}',
    );
    expect(examples[1].query).toBe('query Count {\n  count\n}');
    expect(examples[2]).toMatchObject({ kind: 'subscription', query: expect.stringMatching(/^subscription ItemChanged \{\n {2}itemChanged \{/) });
  });

  it('should skip a field whose required argument cannot be given a literal', () => {
    const odd = buildSchema(`input In { shape: [In!]! } type Query { a(i: In!): Int b(l: [In!]!): Int }`);
    const recursive = exampleOperations(odd, { rootFields: new Map([['Query', ['a', 'b']]]), requirementOf: () => null, maxDepth: 1 });
    // Recursion through a required self-reference has no finite literal; the generator must not loop.
    expect(recursive).toEqual([]);
  });
});

describe('filterProducts', () => {
  const product = (id: string, extra: object = {}) =>
    ({
      id,
      name: id,
      domain: id.split('.')[0],
      description: { purpose: `purpose of ${id}` },
      owner: { team: 'T', contact: 'c' },
      classification: {},
      ...extra,
    }) as never;

  it('should match every word and every given filter', () => {
    const products = [product('a.one', { tags: ['x'] }), product('b.two', { classification: { 'T.f': 'pii' } })];

    expect(filterProducts(products, { q: 'PURPOSE one' })).toEqual([products[0]]);
    expect(filterProducts(products, { tag: 'x' })).toEqual([products[0]]);
    expect(filterProducts(products, { classification: 'pii' })).toEqual([products[1]]);
    expect(filterProducts(products, { classification: 'public', domain: 'b' })).toEqual([products[1]]);
    expect(filterProducts(products, {})).toEqual(products);
  });
});

describe('jsonForScript', () => {
  it('should keep data from closing its script element', () => {
    const text = jsonForScript({ q: '</script><script>alert(1)</script> & \u2028' });

    expect(text).not.toContain('<');
    expect(JSON.parse(text)).toEqual({ q: '</script><script>alert(1)</script> & \u2028' });
  });
});

describe('useDataProductsExtension', () => {
  const answering = (...answers: unknown[]): GraphQLDataSource =>
    ({ process: async () => ({ data: {}, extensions: { dataProducts: answers.shift() } }) }) as never;
  const run = async (freshness: ReturnType<typeof useDataProductsExtension>, contextValue: object, sources: GraphQLDataSource[]) => {
    const hooks = await freshness.plugin.requestDidStart!({ contextValue } as never);
    for (const source of sources) {
      const request = { query: '{ x }' } as { query: string; extensions?: Record<string, unknown> };
      await source.process({ kind: 'incoming operation', request, context: contextValue } as never);
      expect(request.extensions).toEqual({ dataProducts: true });
    }
    const response = { body: { kind: 'single', singleResult: { data: {} } } } as {
      body: { kind: 'single'; singleResult: { extensions?: Record<string, unknown> } };
    };
    await hooks!.willSendResponse!({ response } as never);
    return response.body.singleResult.extensions;
  };

  it('should list each product once, sorted, with the oldest asOf any fetch reported', async () => {
    const freshness = useDataProductsExtension();
    const orders = freshness.wrap(answering([{ id: 'orders', asOf: '2026-01-02T00:00:00Z' }], [{ id: 'orders', asOf: '2026-01-01T00:00:00Z' }]));
    const catalog = freshness.wrap(answering([{ id: 'catalog', asOf: null }, { id: 7 }, 'junk'], [{ id: 'catalog', asOf: '2026-01-03T00:00:00Z' }]));

    expect(await run(freshness, {}, [orders, catalog, orders, catalog])).toEqual({
      dataProducts: [
        { id: 'catalog', asOf: '2026-01-03T00:00:00Z' },
        { id: 'orders', asOf: '2026-01-01T00:00:00Z' },
      ],
    });
  });

  it('should add nothing when no subgraph reported a read', async () => {
    const freshness = useDataProductsExtension();

    expect(await run(freshness, {}, [freshness.wrap(answering(undefined))])).toBeUndefined();
  });
});
