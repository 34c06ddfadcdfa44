import path from 'node:path';
import { gatewayConfigFromEnv } from '../../gateway/index.js';
import { DEFAULT_OPERATION_LIMITS } from '../../gateway/limits/OperationLimits.js';

describe('limits from the environment', () => {
  it('should default to the documented limits, a 600/60 s rate limit in memory and no safelist', () => {
    expect(gatewayConfigFromEnv({}).limits).toEqual({
      operations: DEFAULT_OPERATION_LIMITS,
      maxBodyBytes: 1_048_576,
      maxWebsocketMessageBytes: 1_048_576,
      maxSubscriptionsPerSocket: 25,
      trustedDocuments: { mode: 'off' },
      rateLimit: { points: 600, windowSeconds: 60, keyPrefix: 'mesh:rate' },
    });
  });

  it('should read every setting', () => {
    const limits = gatewayConfigFromEnv({
      MESH_LIMIT_MAX_DEPTH: '8',
      MESH_LIMIT_MAX_COST: 'off',
      MESH_LIMIT_MAX_WS_MESSAGE_BYTES: '4096',
      MESH_TRUSTED_DOCUMENTS: 'safelist',
      MESH_TRUSTED_DOCUMENTS_FILE: 'ops.json',
      MESH_RATE_LIMIT: '100/10',
      MESH_REDIS_URL: 'redis://cache:6379/2',
    }).limits!;
    expect(limits.operations).toMatchObject({ maxDepth: 8, maxCost: Infinity });
    expect(limits.maxWebsocketMessageBytes).toBe(4096);
    expect(limits.trustedDocuments).toEqual({ mode: 'safelist', file: path.resolve('ops.json') });
    expect(limits.rateLimit).toEqual({ points: 100, windowSeconds: 10, redisUrl: 'redis://cache:6379/2', keyPrefix: 'mesh:rate' });
    expect(gatewayConfigFromEnv({ MESH_RATE_LIMIT: 'off' }).limits!.rateLimit).toBeNull();
  });

  it.each([
    ['MESH_LIMIT_MAX_DEPTH', '0'],
    ['MESH_LIMIT_MAX_ALIASES', 'many'],
    ['MESH_LIMIT_DEFAULT_LIST_SIZE', 'off'],
    ['MESH_TRUSTED_DOCUMENTS', 'strict'],
    ['MESH_RATE_LIMIT', '100'],
    ['MESH_REDIS_URL', 'http://cache'],
  ])('should refuse %s=%s with an error naming the variable', (variable, value) => {
    expect(() => gatewayConfigFromEnv({ [variable]: value })).toThrow(new RegExp(`invalid ${variable}=`));
  });
});
