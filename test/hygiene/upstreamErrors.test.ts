/**
 * What the gateway forwards of a failed upstream subscription, and the public URL setting the catalog
 * uses: pure functions, the same ones the servers in the other hygiene suites run.
 */
import { gatewayConfigFromEnv } from '../../gateway/index.js';
import { toUpstreamErrors } from '../../gateway/subscriptions/toUpstreamErrors.js';
import { expectNoLeak } from './expectPublicError.js';

describe('upstream subscription errors', () => {
  const logged: string[] = [];
  const log = (_level: string, message: string) => void logged.push(message);

  it('should forward a subgraph error with code and serviceName, without its stacktrace or exception', () => {
    const [error] = toUpstreamErrors(
      'orders',
      [
        {
          message: 'boom at /work/app/subgraphs/kit/store/DuckDbStore.ts:10',
          extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['Error: boom', '    at /work/app/x.ts:1:1'], exception: { errno: 1 }, argument: 'from' },
        },
      ],
      log,
    );
    expect(error.toJSON()).toEqual({ message: 'boom at [path]', extensions: { code: 'INTERNAL_SERVER_ERROR', argument: 'from', serviceName: 'orders' } });
  });

  it('should name the subgraph, not its address, when it is unreachable or closes', () => {
    const [unreachable] = toUpstreamErrors('orders', new Error('connect ECONNREFUSED 127.0.0.1:4002'), log);
    const [closed] = toUpstreamErrors('orders', { code: 4500, reason: 'Error: /work/app/x.ts exploded' }, log);
    expect([unreachable.toJSON(), closed.toJSON()]).toEqual([
      { message: 'Subgraph "orders" is unreachable.', extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'orders' } },
      {
        message: 'Subscription to subgraph "orders" ended: connection closed (code 4500).',
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'orders' },
      },
    ]);
    expectNoLeak(JSON.stringify([unreachable, closed]));
    expect(logged.join('\n')).toMatch(/127\.0\.0\.1:4002[\s\S]*exploded/);
  });
});

describe('MESH_PUBLIC_URL', () => {
  it('should take a base URL, dropping a trailing /graphql or slash', () => {
    expect(gatewayConfigFromEnv({ MESH_PUBLIC_URL: 'https://mesh.example.com/graphql/' }).publicUrl).toBe('https://mesh.example.com');
    expect(gatewayConfigFromEnv({}).publicUrl).toBeUndefined();
  });

  it('should refuse a value that is not an http(s) URL, naming the setting', () => {
    expect(() => gatewayConfigFromEnv({ MESH_PUBLIC_URL: 'mesh.example.com' })).toThrow(/MESH_PUBLIC_URL/);
  });
});
