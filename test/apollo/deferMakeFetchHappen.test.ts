/**
 * core/apollo/deferMakeFetchHappen.ts defers @apollo/gateway's `make-fetch-happen` to its first use. In
 * a fresh node process (a module loads once per process): loading @apollo/gateway does not load it, the
 * two users in @apollo/gateway (`RemoteGraphQLDataSource` and the Uplink manager) still get a working
 * fetcher, and the export names the stand-in lists are make-fetch-happen's own.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');

interface Probe {
  loadedWithGateway: boolean;
  fetcherType: string;
  loadedAfterUse: boolean;
  uplinkFetcherType: string;
  keysMatch: boolean;
}

function probe(): Probe {
  const source = `
    import { createRequire } from 'node:module';
    const { deferMakeFetchHappen } = await import('./core/apollo/deferMakeFetchHappen.ts');
    deferMakeFetchHappen();
    const require = createRequire(process.cwd() + '/');
    const loaded = () => Object.keys(require.cache).some((file) => /[\\\\/]make-fetch-happen[\\\\/]lib[\\\\/]index\\.js$/.test(file));
    const { RemoteGraphQLDataSource, UplinkSupergraphManager } = await import('@apollo/gateway');
    const loadedWithGateway = loaded();
    const source = new RemoteGraphQLDataSource({ url: 'http://127.0.0.1:9/graphql' });
    const fetcherType = typeof source.fetcher;
    const loadedAfterUse = loaded();
    const uplink = new UplinkSupergraphManager({ apiKey: 'k', graphRef: 'g@v' });
    const real = require('make-fetch-happen');
    const keysMatch = JSON.stringify(Object.keys(real).sort()) === JSON.stringify(['FetchError', 'Headers', 'Request', 'Response', 'defaults']);
    console.log(JSON.stringify({ loadedWithGateway, fetcherType, loadedAfterUse, uplinkFetcherType: typeof uplink.fetcher, keysMatch }));
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', APOLLO_TELEMETRY_DISABLED: 'true' },
    timeout: 110_000,
  });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`probe failed (${run.status}): ${run.stderr}`);
  return JSON.parse(line) as Probe;
}

describe('deferMakeFetchHappen', () => {
  it('should load make-fetch-happen at its first use only, with working fetchers for its users in @apollo/gateway', () => {
    expect(probe()).toEqual({ loadedWithGateway: false, fetcherType: 'function', loadedAfterUse: true, uplinkFetcherType: 'function', keysMatch: true });
  });
});
