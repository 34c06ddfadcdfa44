/**
 * test/support/jestResolver.cjs: inside jest, @apollo/gateway gets stand-ins for its Apollo-telemetry-only
 * packages and a deferred `make-fetch-happen`, as the product's entry points give it (see
 * core/apollo/withoutApolloTelemetry.ts, core/apollo/deferMakeFetchHappen.ts); everyone else gets the
 * real packages.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { APOLLO_TELEMETRY_ONLY } from '../../core/apollo/withoutApolloTelemetry.js';

const gatewayDist = path.dirname(require.resolve('@apollo/gateway'));
const resolveFrom = (request: string, dir: string) => require.resolve(request, { paths: [dir] });
/** The OpenTelemetry packages @apollo/gateway's telemetry module requires, read from its source. */
const telemetryModuleRequests = [
  ...readFileSync(path.join(gatewayDist, 'utilities', 'opentelemetry.js'), 'utf8').matchAll(/require\("(@opentelemetry\/[^"]+)"\)/g),
].map((match) => match[1]);

describe('the jest resolver', () => {
  it("should give @apollo/gateway's telemetry module stand-ins for exactly the packages the entry points leave out", () => {
    const fromTelemetry = path.join(gatewayDist, 'utilities');
    const standIn = path.join(__dirname, '../support/apolloTelemetryStandIn.ts');
    // The product's list (core/apollo/withoutApolloTelemetry.ts) and the resolver's rule must agree on
    // every OpenTelemetry package that module requires, the kept ones (the API among them) included.
    expect(telemetryModuleRequests).toEqual(expect.arrayContaining([...APOLLO_TELEMETRY_ONLY, '@opentelemetry/api']));
    for (const request of telemetryModuleRequests)
      expect([request, resolveFrom(request, fromTelemetry) === standIn]).toEqual([request, APOLLO_TELEMETRY_ONLY.has(request)]);
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
