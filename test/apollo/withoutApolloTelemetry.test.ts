/**
 * core/apollo/withoutApolloTelemetry.ts keeps @apollo/gateway from loading the modules only its usage
 * telemetry to Apollo uses. Each case runs in a fresh node process (a module loads once per process):
 * what @apollo/gateway loads without the hook (pinning the layout the hook relies on), what it loads with
 * it, that a gateway still loads a supergraph and plans with telemetry off, and that turning telemetry on
 * in a process that skipped those modules fails loudly instead of running half set up.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const TELEMETRY_MODULES = /@opentelemetry[\\/](sdk-metrics|exporter-metrics-otlp-http|resource-detector-[a-z-]+)[\\/]/;

/** Runs the probe in a fresh process; it prints one JSON line. */
function probe(options: { hook: boolean; telemetryDisabled: boolean }): { telemetryModules: string[]; loaded: boolean; error?: string } {
  const source = `
    import { createRequire } from 'node:module';
    import { readFileSync } from 'node:fs';
    ${options.hook ? "const { withoutApolloTelemetry } = await import('./core/apollo/withoutApolloTelemetry.ts'); withoutApolloTelemetry();" : ''}
    const { ApolloGateway } = await import('@apollo/gateway');
    const { gatewayCompatibleSdl } = await import('./core/apollo/gatewayCompatibleSdl.ts');
    const require = createRequire(process.cwd() + '/');
    const found = new Set(Object.keys(require.cache).map((file) => (${TELEMETRY_MODULES}.exec(file) ?? [])[1]).filter(Boolean));
    let loaded = false, error;
    try {
      const gateway = new ApolloGateway({ supergraphSdl: gatewayCompatibleSdl(readFileSync('schema/supergraph.graphql', 'utf8')) });
      const { schema } = await gateway.load();
      loaded = !!schema.getQueryType();
      await gateway.stop();
    } catch (e) { error = String(e.message); }
    console.log(JSON.stringify({ telemetryModules: [...found].sort(), loaded, error }));
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', APOLLO_TELEMETRY_DISABLED: options.telemetryDisabled ? 'true' : 'false' },
    timeout: 110_000,
  });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`probe failed (${run.status}): ${run.stderr}`);
  return JSON.parse(line) as { telemetryModules: string[]; loaded: boolean; error?: string };
}

describe('withoutApolloTelemetry', () => {
  it('should find @apollo/gateway loading its telemetry-only modules without the hook (the layout the hook relies on)', () => {
    const result = probe({ hook: false, telemetryDisabled: true });
    expect(result.telemetryModules).toEqual(expect.arrayContaining(['sdk-metrics', 'exporter-metrics-otlp-http', 'resource-detector-aws']));
    expect(result.loaded).toBe(true);
  });

  it('should load none of them with the hook, and the gateway should still load the supergraph', () => {
    const result = probe({ hook: true, telemetryDisabled: true });
    expect(result).toEqual({ telemetryModules: [], loaded: true });
  });

  it('should fail loudly when telemetry is turned on in a process that skipped its modules', () => {
    const result = probe({ hook: true, telemetryDisabled: false });
    expect(result.loaded).toBe(false);
    expect(result.error).toMatch(/Apollo telemetry is off in this process/);
  });
});
