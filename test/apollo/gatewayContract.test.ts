/**
 * Pins what the gateway relies on from @apollo/gateway and Apollo Server: the gateway refuses a
 * supergraph with a `for: SECURITY` link it does not implement and takes it after our rewrite; a wrapped
 * executor sees Apollo Server's request context and what it hands the inner executor is what runs.
 */
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { parse } from 'graphql';
import {
  gatewayCompatibleSdl,
  wrapGatewayExecutor,
  type GatewayRequestContext,
  type GraphQLResolverMap,
  type SubgraphSchemaModuleResolvers,
} from '../../core/apollo/index.js';
import { composeFixture } from './apolloFixtures.js';

const sdl = composeFixture();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('gatewayCompatibleSdl', () => {
  it('should be needed: @apollo/gateway refuses a supergraph linking @authenticated for: SECURITY', async () => {
    expect(sdl).toMatch(/for: SECURITY/);
    const gateway = new ApolloGateway({ supergraphSdl: sdl, logger: quiet });
    await expect(gateway.load()).rejects.toThrow(/SECURITY/);
  });

  it('should make the supergraph loadable, keeping the directive usages for our auth layer', async () => {
    const rewritten = gatewayCompatibleSdl(sdl);
    expect(rewritten).not.toMatch(/for: SECURITY/);
    expect(rewritten).toMatch(/rating: Float @join__field\(graph: REVIEWS\) @authenticated/);
    const gateway = new ApolloGateway({ supergraphSdl: rewritten, logger: quiet });
    const loaded = await gateway.load();
    expect(loaded.schema.getType('Product')).toBeDefined();
    await gateway.stop();
  });
});

describe('wrapGatewayExecutor', () => {
  it('should hand the wrapper Apollo Server request context, and run what the wrapper passes on', async () => {
    const seen: GatewayRequestContext[] = [];
    const gateway = wrapGatewayExecutor(new ApolloGateway({ supergraphSdl: gatewayCompatibleSdl(sdl), logger: quiet }), (inner) => async (requestContext) => {
      seen.push(requestContext);
      // Run a different document than the client sent: the inner executor must plan this one.
      const document = parse('query Other { __typename }');
      const operation = document.definitions[0] as GatewayRequestContext['operation'];
      return inner({
        ...requestContext,
        document,
        operation,
        operationName: 'Other',
        source: 'query Other { __typename }',
        queryHash: 'other',
        request: { ...requestContext.request, query: 'query Other { __typename }', operationName: 'Other' },
      });
    });
    const server = new ApolloServer({ gateway, logger: quiet });
    await server.start();
    try {
      const response = await server.executeOperation({ query: 'query Mine { product(id: "1") { name } }', operationName: 'Mine' });
      expect(response.body.kind === 'single' && response.body.singleResult).toEqual({ data: { __typename: 'Query' } });
      expect(seen).toHaveLength(1);
      expect(seen[0].operation.name?.value).toBe('Mine');
      expect(seen[0].request.operationName).toBe('Mine');
      expect(seen[0].queryHash).toMatch(/^[0-9a-f]{64}$/);
      expect(seen[0].source).toContain('query Mine');
    } finally {
      await server.stop();
    }
  });
});

describe('GraphQLResolverMap', () => {
  it('should fit the resolvers buildSubgraphSchema takes (a compile-time check)', () => {
    const resolvers: GraphQLResolverMap<{ user: string }> = { Query: { hello: (_source, _args, context) => context.user } };
    const accepted: SubgraphSchemaModuleResolvers = resolvers;
    expect(accepted).toBe(resolvers);
  });
});
