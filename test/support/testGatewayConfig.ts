import type { GatewayConfig } from '../../gateway/index.js';
import type { SubgraphEndpoint } from '../../gateway/supergraph/fetchSubgraphSdl.js';

/**
 * A gateway configuration for tests: loopback, a free port, the supergraph composed from `subgraphs` and
 * polled once a minute (a test sees its first composition only), no subgraph websockets, introspection on,
 * no landing page, auth off. Tests override what they are about (auth, limits, registry, introspection).
 */
export function testGatewayConfig(subgraphs: SubgraphEndpoint[], overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    supergraph: { kind: 'subgraphs', subgraphs, pollIntervalMs: 60_000 },
    subgraphWsUrls: {},
    introspection: true,
    landingPage: false,
    ...overrides,
  };
}
