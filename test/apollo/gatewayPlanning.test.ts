/**
 * Pins the @apollo/gateway internals the mesh query engine reads (core/apollo/gatewayPlanning.ts): its
 * plan cache and planner under the key its own executor uses, its subgraph data sources, its
 * supergraph schema; and the conversion of its plans to the engine's form (core/apollo/toEnginePlan.ts).
 */
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { gatewayCompatibleSdl, gatewayPlanning, toEnginePlan, wrapGatewayExecutor, type GatewayRequestContext } from '../../core/apollo/index.js';
import { composeFixture } from './apolloFixtures.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('gatewayPlanning', () => {
  it("should plan through the gateway's plan cache, shared with its own executor, and convert the plan", async () => {
    const gateway = new ApolloGateway({ supergraphSdl: gatewayCompatibleSdl(composeFixture()), logger: quiet });
    const planning = gatewayPlanning(gateway);
    const seen: GatewayRequestContext[] = [];
    // Apollo's executor runs first (its fetches fail: no subgraph listens) and caches the plan.
    const server = new ApolloServer({
      gateway: wrapGatewayExecutor(gateway, (inner) => async (requestContext) => (seen.push(requestContext), inner(requestContext))),
      logger: quiet,
    });
    await server.start();
    try {
      await server.executeOperation({ query: 'query Q { product(id: "1") { name rating } }', operationName: 'Q' });
      const plan = await planning.plan(seen[0]);
      // The same object: found in the gateway's cache under its own key, not planned again.
      expect(await planning.plan(seen[0])).toBe(plan);
      expect(toEnginePlan(plan)).toEqual({
        node: {
          kind: 'Sequence',
          nodes: [
            expect.objectContaining({ kind: 'Fetch', serviceName: 'products', operationKind: 'query', variableUsages: [] }),
            {
              kind: 'Flatten',
              path: ['product'],
              node: expect.objectContaining({
                kind: 'Fetch',
                serviceName: 'reviews',
                requires: [
                  {
                    kind: 'InlineFragment',
                    typeCondition: 'Product',
                    selections: [
                      { kind: 'Field', name: '__typename' },
                      { kind: 'Field', name: 'id' },
                    ],
                  },
                ],
              }),
            },
          ],
        },
      });
      expect(planning.supergraphSchema().getType('join__Graph')).toBeDefined();
      // The subgraph's data source (as the gateway built it) answers: here it cannot reach the subgraph.
      await expect(planning.fetch('products', { query: '{ __typename }', variables: {} }, seen[0], [])).rejects.toThrow();
      await expect(planning.fetch('nowhere', { query: '{ __typename }', variables: {} }, seen[0], [])).rejects.toThrow(/nowhere/);
    } finally {
      await server.stop();
    }
  });
});
