import { gatewayConfigFromEnv } from '../../gateway/index.js';
import { DEFAULT_SUBGRAPH_CLIENT_CONFIG } from '../../gateway/upstream/SubgraphClientConfig.js';

describe('subgraph client configuration from the environment', () => {
  it('should default to 10 s per request, a 30 s deadline, 64 sockets, answers up to 64 MiB, breakers on and two retries', () => {
    expect(gatewayConfigFromEnv({}).subgraphClient).toEqual(DEFAULT_SUBGRAPH_CLIENT_CONFIG);
    expect(DEFAULT_SUBGRAPH_CLIENT_CONFIG).toMatchObject({
      timeoutMs: 10_000,
      requestDeadlineMs: 30_000,
      maxSockets: 64,
      maxResponseBytes: 67_108_864,
      retry: { retries: 2 },
    });
  });

  it('should read every setting, with per-subgraph overrides', () => {
    const config = gatewayConfigFromEnv({
      MESH_SUBGRAPH_TIMEOUT_MS: '2500',
      MESH_REQUEST_DEADLINE_MS: '8000',
      MESH_SUBGRAPH_MAX_SOCKETS: '16',
      MESH_SUBGRAPH_MAX_RESPONSE_BYTES: '1048576',
      MESH_SUBGRAPH_RETRIES: '0',
      MESH_BREAKER_ERROR_PERCENT: '25',
      MESH_BREAKER_MIN_REQUESTS: '4',
      MESH_BREAKER_WINDOW_MS: '60000',
      MESH_BREAKER_RESET_MS: '1000',
      MESH_SUBGRAPH_TIMEOUTS: 'orders=30000, inventory = 500',
      MESH_SUBGRAPH_MAX_SOCKETS_BY_NAME: 'orders=4',
      MESH_SUBGRAPH_DEDUP: 'off',
    }).subgraphClient;
    expect(config).toEqual({
      timeoutMs: 2500,
      requestDeadlineMs: 8000,
      maxSockets: 16,
      maxResponseBytes: 1_048_576,
      breaker: { errorPercent: 25, minRequests: 4, windowMs: 60_000, resetMs: 1000 },
      retry: { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG.retry, retries: 0 },
      dedupe: false,
      subgraphs: { orders: { timeoutMs: 30_000, maxSockets: 4 }, inventory: { timeoutMs: 500 } },
    });
  });

  it('should turn breakers off with MESH_BREAKER=off', () => {
    expect(gatewayConfigFromEnv({ MESH_BREAKER: 'off' }).subgraphClient?.breaker).toBe(false);
  });

  it.each([
    ['MESH_SUBGRAPH_TIMEOUT_MS', '0'],
    ['MESH_REQUEST_DEADLINE_MS', 'soon'],
    ['MESH_SUBGRAPH_MAX_SOCKETS', '1.5'],
    ['MESH_SUBGRAPH_MAX_RESPONSE_BYTES', '100'],
    ['MESH_SUBGRAPH_RETRIES', '11'],
    ['MESH_BREAKER', 'maybe'],
    ['MESH_SUBGRAPH_DEDUP', 'yes'],
    ['MESH_BREAKER_ERROR_PERCENT', '101'],
    ['MESH_BREAKER_WINDOW_MS', '10'],
    ['MESH_SUBGRAPH_TIMEOUTS', 'orders'],
    ['MESH_SUBGRAPH_TIMEOUTS', 'orders=0'],
    ['MESH_SUBGRAPH_MAX_SOCKETS_BY_NAME', '9orders=2'],
  ])('should refuse %s=%s, naming the variable', (variable, value) => {
    expect(() => gatewayConfigFromEnv({ [variable]: value })).toThrow(new RegExp(`^invalid ${variable}=`));
  });
});
