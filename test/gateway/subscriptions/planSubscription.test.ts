import { parse } from 'graphql';
import { parseSupergraph } from '../../../core/apollo/index.js';
import { planSubscription, type SubscriptionPlan } from '../../../gateway/subscriptions/planSubscription.js';
import { composeProductMesh } from '../../support/productMeshSubgraphs.js';

const supergraph = parseSupergraph(
  composeProductMesh({ products: { url: 'http://products' }, inventory: { url: 'http://inventory' }, prices: { url: 'http://prices' } }),
);

function plan(query: string, variables?: Record<string, unknown>): SubscriptionPlan {
  const result = planSubscription(supergraph, { document: parse(query), variables });
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('; '));
  return result.plan;
}

describe('planSubscription', () => {
  it('should send the owning subgraph a primary fetch with the client aliases, fragments inlined, and keys for entities', () => {
    const { node } = plan(`
      subscription OnPrice($id: ID) { changed: priceChanged(id: $id) { amount: price ...F product { label: name } } }
      fragment F on PriceEvent { currency }
    `);
    expect(node.primary).toMatchObject({
      serviceName: 'prices',
      operationKind: 'subscription',
      variableUsages: ['id'],
      operation: 'subscription($id:ID){changed:priceChanged(id:$id){amount:price currency product{__typename id}}}',
    });
    expect(node.rest).toMatchObject({
      kind: 'Sequence',
      nodes: [{ kind: 'Flatten', path: ['changed', 'product'], node: { serviceName: 'products', requires: expect.any(Array) } }],
    });
  });

  it('should have no rest when the owning subgraph serves every selected field', () => {
    const { node } = plan(`subscription { priceChanged { price product { id } } }`);
    expect(node.rest).toBeUndefined();
    expect(node.primary.operation).toBe('subscription{priceChanged{price product{id}}}');
  });

  it('should coerce variables, applying defaults', () => {
    expect(plan(`subscription ($id: ID = "p1") { priceChanged(id: $id) { price } }`).variables).toEqual({ id: 'p1' });
  });
});
