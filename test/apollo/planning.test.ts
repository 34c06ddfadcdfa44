/**
 * Pins what the gateway relies on from @apollo/federation-internals and @apollo/query-planner (through
 * core/apollo/): one parse gives the schemas, subgraphs and auth directives; a subscription plans to a
 * SubscriptionNode whose primary fetch goes to the owning subgraph, named after the client's operation.
 */
import { parse, printSchema } from 'graphql';
import { parseSupergraph, planSubscriptionOperation, supergraphParseCount } from '../../core/apollo/index.js';
import { composeFixture } from './apolloFixtures.js';

const supergraph = parseSupergraph(composeFixture());

describe('parseSupergraph', () => {
  it('should read the declared subgraphs, the API schema and the auth directives from one parse', () => {
    const before = supergraphParseCount();
    const parsed = parseSupergraph(supergraph.sdl);
    expect(supergraphParseCount() - before).toBe(1);
    expect(parsed.subgraphs).toEqual([
      { name: 'products', url: 'http://127.0.0.1:9/products' },
      { name: 'reviews', url: 'http://127.0.0.1:9/reviews' },
    ]);
    // The API schema hides the join machinery; the supergraph schema keeps it (executeQueryPlan wants it).
    expect(printSchema(parsed.apiSchema)).not.toContain('join__');
    expect(printSchema(parsed.supergraphSchema)).toContain('join__Graph');
    expect(parsed.authRequirements.fields.get('Product.rating')).toEqual({ authenticated: true, scopes: [], policies: [] });
  });

  it('should refuse an SDL that is not a supergraph', () => {
    expect(() => parseSupergraph('type Query { a: Int }')).toThrow();
  });
});

describe('planSubscriptionOperation', () => {
  it('should plan a subscription to a SubscriptionNode with a primary fetch and the rest', () => {
    const document = parse('subscription Watch { productChanged { id name rating } }');
    const planned = planSubscriptionOperation(supergraph, document, undefined);
    expect(planned?.node.kind).toBe('Subscription');
    expect(planned?.node.primary).toMatchObject({ kind: 'Fetch', serviceName: 'products', operationKind: 'subscription' });
    expect(planned?.node.rest).toMatchObject({ kind: 'Sequence', nodes: [{ kind: 'Flatten', path: ['productChanged'], node: { serviceName: 'reviews' } }] });
    // The operation context is graphql-js's: the operation definition executeQueryPlan shapes results by.
    expect(planned?.operationContext.operation.name?.value).toBe('Watch');
  });

  it('should name fetches after the client operation', () => {
    const planned = planSubscriptionOperation(supergraph, parse('subscription Watch { productChanged { id rating } }'), 'Watch');
    expect(planned?.node.primary.operationName).toBe('Watch__products__0');
    expect(planned?.node.primary.operation).toMatch(/^subscription Watch__products__0\{/);
    expect(planned?.node.rest).toMatchObject({ nodes: [{ node: { operationName: 'Watch__reviews__1' } }] });
  });

  it('should return null for an operation that is not a subscription', () => {
    expect(planSubscriptionOperation(supergraph, parse('{ product(id: "1") { name } }'), undefined)).toBeNull();
  });
});
