/**
 * Pins the @apollo/gateway internals `shareParsedSupergraph` (core/apollo/) relies on: its private
 * `createSchemaFromSupergraphSdl` builds the `Supergraph` it plans with, and `createServices` makes its
 * data sources. Given the snapshot's parse, the gateway plans with that very object, serves the same API
 * schema, and answers through its data sources as before.
 */
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { printSchema } from 'graphql';
import { gatewayCompatibleSdl, parseSupergraph, shareParsedSupergraph } from '../../core/apollo/index.js';
import { composeFixture } from './apolloFixtures.js';

const sdl = composeFixture();
const gatewaySdl = gatewayCompatibleSdl(sdl);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Every subgraph answers the fixture's one root field. */
const answering: GraphQLDataSource = {
  async process() {
    return { data: { product: { name: 'Chair' } } };
  },
};

async function loaded(share: boolean) {
  const parsed = parseSupergraph(sdl);
  const asked: string[] = [];
  const gateway = new ApolloGateway({ supergraphSdl: gatewaySdl, logger: quiet, buildService: () => answering });
  const shared = share
    ? shareParsedSupergraph(gateway, (handed) => {
        asked.push(handed);
        return handed === gatewaySdl ? parsed : null;
      })
    : false;
  const { schema } = await gateway.load();
  const planner = (gateway as unknown as { queryPlanner: { supergraph: unknown } }).queryPlanner;
  return { gateway, parsed, schema, planner, shared, asked };
}

describe('shareParsedSupergraph', () => {
  it('should make @apollo/gateway plan with the parsed supergraph it is handed, serving the same API schema', async () => {
    const own = await loaded(false);
    const shared = await loaded(true);
    try {
      expect(shared.shared).toBe(true);
      expect(shared.asked).toEqual([gatewaySdl]);
      expect(shared.planner.supergraph).toBe(shared.parsed.internals.supergraph);
      expect(own.planner.supergraph).not.toBe(own.parsed.internals.supergraph);
      expect(printSchema(shared.schema)).toBe(printSchema(own.schema));
    } finally {
      await own.gateway.stop();
      await shared.gateway.stop();
    }
  });

  it.each([
    ['the parse it is handed', true],
    ['its own parse of an SDL it has no parse for', false],
  ])('should answer through its data sources with %s', async (_what, handed) => {
    const parsed = parseSupergraph(sdl);
    const gateway = new ApolloGateway({ supergraphSdl: gatewaySdl, logger: quiet, buildService: () => answering });
    shareParsedSupergraph(gateway, () => (handed ? parsed : null));
    const server = new ApolloServer({ gateway });
    await server.start();
    try {
      const response = await server.executeOperation({ query: '{ product(id: "1") { name } }' });
      expect(response.body.kind === 'single' && response.body.singleResult).toEqual({ data: { product: { name: 'Chair' } } });
      const planner = (gateway as unknown as { queryPlanner: { supergraph: unknown } }).queryPlanner;
      expect(planner.supergraph === parsed.internals.supergraph).toBe(handed);
    } finally {
      await server.stop();
    }
  });
});
