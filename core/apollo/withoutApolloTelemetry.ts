import { interceptRequires } from './interceptRequires.js';

/**
 * What @apollo/gateway's `utilities/opentelemetry.js` requires at load time for one purpose only: the
 * usage metrics it sends to Apollo (`createDataCollectionExporter`, called by `new ApolloGateway()` unless
 * `APOLLO_TELEMETRY_DISABLED` is `true` or `1`). The OpenTelemetry metrics SDK, its OTLP exporter, the
 * resource SDK and four cloud resource detectors are about a third of the gateway's start-up (issue #11).
 */
export const APOLLO_TELEMETRY_ONLY: ReadonlySet<string> = new Set([
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/exporter-metrics-otlp-http',
  '@opentelemetry/resources',
  '@opentelemetry/resource-detector-alibaba-cloud',
  '@opentelemetry/resource-detector-aws',
  '@opentelemetry/resource-detector-gcp',
  '@opentelemetry/resource-detector-azure',
]);

/** The one module whose requires are replaced (any other requirer of those packages gets the real ones). */
export const APOLLO_TELEMETRY_MODULE = /[\\/]@apollo[\\/]gateway[\\/]dist[\\/]utilities[\\/]opentelemetry\.js$/;

/**
 * Whether Apollo's usage telemetry is off by `APOLLO_TELEMETRY_DISABLED` (`true` or `1`, as
 * @apollo/gateway reads it).
 */
export const isApolloTelemetryOff = (env: NodeJS.ProcessEnv): boolean => env.APOLLO_TELEMETRY_DISABLED === 'true' || env.APOLLO_TELEMETRY_DISABLED === '1';

/**
 * A stand-in module: reading its exports is fine, using one is a bug (telemetry was to stay off). The
 * gateway's bundle (build/bundleGateway.ts) puts it in place of @apollo/gateway's imports.
 */
export const apolloTelemetryStandIn = (request: string): object =>
  new Proxy(
    {},
    {
      get: (_target, key) =>
        typeof key === 'symbol' || key === '__esModule' || key === 'then'
          ? undefined
          : // A function, not an arrow: classes are used with `new`.
            function notLoaded() {
              throw new Error(`${request} was not loaded: Apollo telemetry is off in this process (APOLLO_TELEMETRY_DISABLED=true)`);
            },
    },
  );

let installed = false;

/**
 * Keeps @apollo/gateway from loading its Apollo-telemetry-only dependencies. Call it before the first
 * import of @apollo/gateway, and only in a process where `APOLLO_TELEMETRY_DISABLED` is `true` (the
 * gateway's entry point sets it unless told otherwise): then nothing ever calls into them, and a call
 * would throw rather than run half set up. Idempotent. Relies on @apollo/gateway 2.14's module layout
 * (test/apollo/withoutApolloTelemetry.test.ts pins it).
 */
export function withoutApolloTelemetry(): void {
  if (installed) return;
  installed = true;
  interceptRequires((request, parentFilename) =>
    APOLLO_TELEMETRY_ONLY.has(request) && APOLLO_TELEMETRY_MODULE.test(parentFilename) ? apolloTelemetryStandIn(request) : undefined,
  );
}
