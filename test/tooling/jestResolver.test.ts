/**
 * test/support/jestResolver.cjs: inside jest, @apollo/gateway gets stand-ins for its Apollo-telemetry-only
 * packages and a deferred `make-fetch-happen`, as the product's entry points give it (see
 * core/apollo/withoutApolloTelemetry.ts, core/apollo/deferMakeFetchHappen.ts); everyone else gets the
 * real packages.
 */
import path from 'node:path';

const gatewayDist = path.dirname(require.resolve('@apollo/gateway'));
const resolveFrom = (request: string, dir: string) => require.resolve(request, { paths: [dir] });

describe('the jest resolver', () => {
  it("should give @apollo/gateway's telemetry module stand-ins for its usage-metrics packages, and keep the API", () => {
    const fromTelemetry = path.join(gatewayDist, 'utilities');
    for (const request of [
      '@opentelemetry/sdk-metrics',
      '@opentelemetry/resources',
      '@opentelemetry/resource-detector-aws',
      '@opentelemetry/exporter-metrics-otlp-http',
    ])
      expect(resolveFrom(request, fromTelemetry)).toBe(path.join(__dirname, '../support/apolloTelemetryStandIn.ts'));
    expect(resolveFrom('@opentelemetry/api', fromTelemetry)).toMatch(/node_modules[\\/]@opentelemetry[\\/]api[\\/]/);
  });

  it('should resolve the same packages for anyone else to the real ones', () => {
    expect(resolveFrom('@opentelemetry/resources', __dirname)).toMatch(/node_modules[\\/]@opentelemetry[\\/]resources[\\/]/);
    expect(resolveFrom('make-fetch-happen', __dirname)).toMatch(/node_modules[\\/]make-fetch-happen[\\/]/);
  });

  it("should defer @apollo/gateway's make-fetch-happen to a stand-in that loads the real one at first use", async () => {
    const standIn = resolveFrom('make-fetch-happen', path.join(gatewayDist, 'datasources'));
    expect(standIn).toBe(path.join(__dirname, '../support/deferredMakeFetchHappen.ts'));
    const fetcher = ((await import(standIn)) as { default: { defaults: unknown } }).default;
    expect(typeof fetcher.defaults).toBe('function');
  });

  it('should throw from the telemetry stand-in when that telemetry is used after all', async () => {
    // A CommonJS module seen through `import()`: its exports are the default.
    const { MeterProvider } = (
      (await import(path.join(__dirname, '../support/apolloTelemetryStandIn.ts'))) as { default: { MeterProvider: new () => unknown } }
    ).default;
    expect(() => new MeterProvider()).toThrow(/Apollo telemetry is off in this process/);
  });
});
