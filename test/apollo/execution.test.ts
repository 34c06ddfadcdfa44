/**
 * Pins what the gateway relies on from @apollo/gateway's execution: `executeQueryPlan` with the
 * hand-built request context runs a subscription plan's `rest` from an injected first fetch and shapes
 * the result to the client's selection.
 */
import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import { parse } from 'graphql';
import { executeSubscriptionEvent, parseSupergraph, planSubscriptionOperation } from '../../core/apollo/index.js';
import { composeFixture } from './apolloFixtures.js';

const supergraph = parseSupergraph(composeFixture());

/** A data source that answers every fetch with `answer` and records the requests. */
function recordingSource(answer: (query: string, variables: Record<string, unknown>) => Record<string, unknown>) {
  const requests: Array<{ query: string; variables: Record<string, unknown>; context: unknown }> = [];
  const source: GraphQLDataSource = {
    async process({ request, context }) {
      requests.push({ query: request.query!, variables: request.variables ?? {}, context });
      return { data: answer(request.query!, request.variables ?? {}) };
    },
  };
  return { source, requests };
}

describe('executeSubscriptionEvent', () => {
  it('should run the rest of the plan from the event injected as the first fetch, and shape the result', async () => {
    const document = parse('subscription Watch { productChanged { label: name rating } }');
    const planned = planSubscriptionOperation(supergraph, document, 'Watch')!;
    const products = recordingSource(() => {
      throw new Error('the primary fetch must be answered by the event, never sent');
    });
    const reviews = recordingSource((_query, variables) => ({
      _entities: (variables.representations as Array<{ id: string }>).map(({ id }) => ({ rating: id === 'p1' ? 4.5 : null })),
    }));
    const dataSources: ServiceMap = { products: products.source, reviews: reviews.source };
    const event = { data: { productChanged: { __typename: 'Product', id: 'p1', label: 'Lamp' } } };

    const result = await executeSubscriptionEvent({
      supergraph,
      planned,
      document,
      variables: {},
      operationName: 'Watch',
      event,
      dataSources,
      context: { caller: 'c1' },
    });

    // Key fields the client did not select (`__typename`, `id`) are trimmed; aliases stay as written.
    expect(result).toEqual({ data: { productChanged: { label: 'Lamp', rating: 4.5 } } });
    expect(products.requests).toEqual([]);
    expect(reviews.requests).toHaveLength(1);
    expect(reviews.requests[0]).toMatchObject({ variables: { representations: [{ __typename: 'Product', id: 'p1' }] }, context: { caller: 'c1' } });
    // The shared event is not modified (each client gets a private copy).
    expect(event.data.productChanged).toEqual({ __typename: 'Product', id: 'p1', label: 'Lamp' });
  });

  it('should map a failing entity fetch to an error at its path, keeping the event data', async () => {
    const document = parse('subscription { productChanged { id rating } }');
    const planned = planSubscriptionOperation(supergraph, document, undefined)!;
    const failing: GraphQLDataSource = {
      async process() {
        throw new Error('reviews is down');
      },
    };
    const result = await executeSubscriptionEvent({
      supergraph,
      planned,
      document,
      variables: {},
      operationName: undefined,
      event: { data: { productChanged: { __typename: 'Product', id: 'p1' } } },
      dataSources: { products: failing, reviews: failing },
      context: {},
    });
    expect(result.data).toEqual({ productChanged: { id: 'p1', rating: null } });
    expect(result.errors).toHaveLength(1);
    expect(String((result.errors![0] as Error).message)).toContain('reviews is down');
  });
});
