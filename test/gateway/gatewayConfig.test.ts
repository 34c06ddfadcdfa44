import path from 'node:path';
import { gatewayConfigFromEnv } from '../../gateway/index.js';
import { subgraphAddresses } from '../../gateway/supergraph/subgraphAddresses.js';
import { composeSubgraphs } from '../../core/apollo/index.js';

/** The subgraph entries the gateway composes from, for `MESH_SUBGRAPHS=value`. */
const subgraphsOf = (value: string) => {
  const { supergraph } = gatewayConfigFromEnv({ MESH_SUBGRAPHS: value });
  if (supergraph.kind !== 'subgraphs') throw new Error('expected composition from subgraphs');
  return supergraph.subgraphs;
};

describe('gateway configuration from the environment', () => {
  it('should compose the four demo subgraphs on 4001-4004, one instance each, by default', () => {
    const config = gatewayConfigFromEnv({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 4000, subgraphWsUrls: {} });
    expect(config.supergraph).toEqual({
      kind: 'subgraphs',
      pollIntervalMs: 10_000,
      subgraphs: [
        { name: 'catalog', url: 'http://127.0.0.1:4001/graphql' },
        { name: 'orders', url: 'http://127.0.0.1:4002/graphql' },
        { name: 'inventory', url: 'http://127.0.0.1:4003/graphql' },
        { name: 'shipping', url: 'http://127.0.0.1:4004/graphql' },
      ],
    });
  });

  it('should read name=url1|url2 as the replicas of one subgraph, the first composed into the supergraph', () => {
    expect(subgraphsOf('catalog=http://c:4001/graphql,orders=http://a:4002/graphql|http://b:4012/graphql|https://c:4022/graphql')).toEqual([
      { name: 'catalog', url: 'http://c:4001/graphql' },
      { name: 'orders', url: 'http://a:4002/graphql', otherReplicaUrls: ['http://b:4012/graphql', 'https://c:4022/graphql'] },
    ]);
  });

  it('should ignore spaces around names, URLs and separators', () => {
    expect(subgraphsOf(' orders = http://a:4002/graphql | http://b:4012/graphql , catalog=http://c:4001/graphql ')).toEqual([
      { name: 'orders', url: 'http://a:4002/graphql', otherReplicaUrls: ['http://b:4012/graphql'] },
      { name: 'catalog', url: 'http://c:4001/graphql' },
    ]);
  });

  it('should read websocket replicas from MESH_SUBGRAPH_WS the same way', () => {
    const config = gatewayConfigFromEnv({ MESH_SUBGRAPH_WS: 'orders=ws://a:5002/graphql|wss://b:5012/graphql,catalog=ws://c:5001/graphql' });
    expect(config.subgraphWsUrls).toEqual({ orders: ['ws://a:5002/graphql', 'wss://b:5012/graphql'], catalog: ['ws://c:5001/graphql'] });
  });

  it('should read a supergraph file instead, with no replicas', () => {
    const config = gatewayConfigFromEnv({ MESH_SUPERGRAPH_FILE: 'schema/supergraph.graphql', MESH_POLL_INTERVAL_MS: '500' });
    expect(config.supergraph).toEqual({ kind: 'file', path: path.resolve('schema/supergraph.graphql'), pollIntervalMs: 500 });
  });

  it.each([
    ['orders=http://a:4002/graphql||http://b:4012/graphql', /invalid MESH_SUBGRAPHS=.*"orders" has an empty replica URL/],
    ['orders=http://a:4002/graphql|', /invalid MESH_SUBGRAPHS=.*"orders" has an empty replica URL/],
    ['orders=http://a:4002/graphql|ftp://b:4012/graphql', /invalid MESH_SUBGRAPHS=.*"ftp:\/\/b:4012\/graphql" is not an http\(s\) or ws\(s\) URL/],
    ['orders=http://a:4002/graphql|b:4012', /invalid MESH_SUBGRAPHS=.*"b:4012" is not an http\(s\) or ws\(s\) URL/],
    ['orders=http://a:4002/graphql|http://a:4002/graphql', /invalid MESH_SUBGRAPHS=.*"orders" lists the same replica URL twice/],
    [
      'orders=http://a:4002/graphql,orders=http://b:4012/graphql',
      /invalid MESH_SUBGRAPHS=.*"orders" is listed twice \(list its replicas as orders=url1\|url2\)/,
    ],
    ['orders=http://a:4002/graphql=x', /invalid MESH_SUBGRAPHS=.*a comma-separated list of name=url/],
    ['http://a:4002/graphql|http://b:4012/graphql', /invalid MESH_SUBGRAPHS=.*a comma-separated list of name=url/],
  ])('should refuse MESH_SUBGRAPHS=%j with the variable and the problem named', (value, message) => {
    expect(() => gatewayConfigFromEnv({ MESH_SUBGRAPHS: value })).toThrow(message);
  });

  it('should refuse a bad websocket replica with MESH_SUBGRAPH_WS named', () => {
    expect(() => gatewayConfigFromEnv({ MESH_SUBGRAPH_WS: 'orders=ws://a:5002/graphql|' })).toThrow(
      /invalid MESH_SUBGRAPH_WS=.*"orders" has an empty replica URL/,
    );
  });

  it('should run plans with the mesh query engine unless MESH_QUERY_ENGINE says apollo, and refuse anything else', () => {
    expect(gatewayConfigFromEnv({}).queryEngine).toBe('mesh');
    expect(gatewayConfigFromEnv({ MESH_QUERY_ENGINE: 'apollo' }).queryEngine).toBe('apollo');
    expect(() => gatewayConfigFromEnv({ MESH_QUERY_ENGINE: 'hive' })).toThrow(/invalid MESH_QUERY_ENGINE=.*mesh or apollo/);
  });

  it('should make /ready require every subgraph unless MESH_READINESS says supergraph, and refuse anything else', () => {
    expect(gatewayConfigFromEnv({}).readiness).toBe('subgraphs');
    expect(gatewayConfigFromEnv({ MESH_READINESS: 'supergraph' }).readiness).toBe('supergraph');
    expect(() => gatewayConfigFromEnv({ MESH_READINESS: 'always' })).toThrow(/invalid MESH_READINESS=.*subgraphs or supergraph/);
  });

  it("should plan with Hive Router's planner unless MESH_QUERY_PLANNER says apollo, and refuse anything else", () => {
    expect(gatewayConfigFromEnv({}).queryPlanner).toBe('hive');
    expect(gatewayConfigFromEnv({ MESH_QUERY_PLANNER: ' apollo ' }).queryPlanner).toBe('apollo');
    expect(gatewayConfigFromEnv({ MESH_QUERY_PLANNER: 'hive' }).queryPlanner).toBe('hive');
    expect(() => gatewayConfigFromEnv({ MESH_QUERY_PLANNER: 'rust' })).toThrow(/invalid MESH_QUERY_PLANNER=.*apollo or hive/);
  });

  it('should share identical in-flight subgraph requests unless MESH_SUBGRAPH_DEDUP is off, and refuse anything else', () => {
    expect(gatewayConfigFromEnv({}).subgraphClient?.dedupe).toBe(true);
    expect(gatewayConfigFromEnv({ MESH_SUBGRAPH_DEDUP: 'off' }).subgraphClient?.dedupe).toBe(false);
    expect(() => gatewayConfigFromEnv({ MESH_SUBGRAPH_DEDUP: 'no' })).toThrow(/invalid MESH_SUBGRAPH_DEDUP=.*on or off/);
  });

  it('should ping upstream sockets every 10 s and give up on a pong after 5 s by default', () => {
    expect(gatewayConfigFromEnv({}).upstreamKeepAlive).toEqual({ intervalMs: 10_000, timeoutMs: 5_000 });
  });

  it('should read the upstream keep-alive from MESH_UPSTREAM_PING_INTERVAL_MS and MESH_UPSTREAM_PONG_TIMEOUT_MS, 0 turning pings off', () => {
    expect(gatewayConfigFromEnv({ MESH_UPSTREAM_PING_INTERVAL_MS: '2500', MESH_UPSTREAM_PONG_TIMEOUT_MS: '1000' }).upstreamKeepAlive).toEqual({
      intervalMs: 2_500,
      timeoutMs: 1_000,
    });
    expect(gatewayConfigFromEnv({ MESH_UPSTREAM_PING_INTERVAL_MS: '0' }).upstreamKeepAlive).toEqual({ intervalMs: 0, timeoutMs: 5_000 });
  });

  it.each([
    ['MESH_UPSTREAM_PING_INTERVAL_MS', 'often', /invalid MESH_UPSTREAM_PING_INTERVAL_MS="often": milliseconds, at least 100 \(0 turns pings off\)/],
    ['MESH_UPSTREAM_PING_INTERVAL_MS', '50', /invalid MESH_UPSTREAM_PING_INTERVAL_MS="50"/],
    ['MESH_UPSTREAM_PING_INTERVAL_MS', '-1', /invalid MESH_UPSTREAM_PING_INTERVAL_MS="-1"/],
    ['MESH_UPSTREAM_PONG_TIMEOUT_MS', '0', /invalid MESH_UPSTREAM_PONG_TIMEOUT_MS="0": milliseconds, at least 100/],
    ['MESH_UPSTREAM_PONG_TIMEOUT_MS', '1.5', /invalid MESH_UPSTREAM_PONG_TIMEOUT_MS="1.5"/],
  ])('should refuse %s=%j with the variable named', (variable, value, message) => {
    expect(() => gatewayConfigFromEnv({ [variable]: value })).toThrow(message);
  });
});

describe('subgraph addresses', () => {
  const supergraph = () => {
    const sdl = (type: string) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"]) type Query { ${type}: Int }`;
    const composed = composeSubgraphs([
      { name: 'orders', url: 'http://a:4002/graphql', sdl: sdl('orders') },
      { name: 'catalog', url: 'https://c:4001/graphql', sdl: sdl('catalog') },
    ]);
    if (!composed.ok) throw new Error(composed.report);
    return composed.supergraphSdl;
  };

  it('should put the other replicas after the URL in the supergraph, and derive their websocket URLs', () => {
    expect(subgraphAddresses(supergraph(), { otherReplicaUrls: { orders: ['http://b:4012/graphql'] } })).toEqual({
      orders: {
        url: 'http://a:4002/graphql',
        wsUrl: 'ws://a:4002/graphql',
        urls: ['http://a:4002/graphql', 'http://b:4012/graphql'],
        wsUrls: ['ws://a:4002/graphql', 'ws://b:4012/graphql'],
      },
      catalog: { url: 'https://c:4001/graphql', wsUrl: 'wss://c:4001/graphql', urls: ['https://c:4001/graphql'], wsUrls: ['wss://c:4001/graphql'] },
    });
  });

  it('should take configured websocket URLs as they are', () => {
    const addresses = subgraphAddresses(supergraph(), {
      otherReplicaUrls: { orders: ['http://b:4012/graphql'] },
      wsUrls: { orders: ['ws://lb:5000/graphql'] },
    });
    expect(addresses.orders).toEqual({
      url: 'http://a:4002/graphql',
      wsUrl: 'ws://lb:5000/graphql',
      urls: ['http://a:4002/graphql', 'http://b:4012/graphql'],
      wsUrls: ['ws://lb:5000/graphql'],
    });
  });
});
