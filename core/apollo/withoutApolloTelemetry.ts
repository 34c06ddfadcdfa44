import { createRequire } from 'node:module';

/**
 * What @apollo/gateway's `utilities/opentelemetry.js` requires at load time for one purpose only: the
 * usage metrics it sends to Apollo (`createDataCollectionExporter`, called by `new ApolloGateway()` unless
 * `APOLLO_TELEMETRY_DISABLED` is `true` or `1`). The OpenTelemetry metrics SDK, its OTLP exporter, the
 * resource SDK and four cloud resource detectors are about a third of the gateway's start-up (issue #11).
 */
const TELEMETRY_ONLY = new Set([
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/exporter-metrics-otlp-http',
  '@opentelemetry/resources',
  '@opentelemetry/resource-detector-alibaba-cloud',
  '@opentelemetry/resource-detector-aws',
  '@opentelemetry/resource-detector-gcp',
  '@opentelemetry/resource-detector-azure',
]);

/** The one module whose requires are replaced (any other requirer of those packages gets the real ones). */
const TELEMETRY_MODULE = /[\\/]@apollo[\\/]gateway[\\/]dist[\\/]utilities[\\/]opentelemetry\.js$/;

type Load = (request: string, parent: { filename?: string | null } | undefined, isMain: boolean) => unknown;

/** A stand-in module: reading its exports is fine, using one is a bug (telemetry was to stay off). */
const standIn = (request: string): object =>
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
  const require = createRequire(import.meta.url);
  const Module = require('node:module') as { _load: Load };
  const load = Module._load;
  Module._load = function (this: unknown, request, parent, _isMain) {
    if (TELEMETRY_ONLY.has(request) && parent?.filename && TELEMETRY_MODULE.test(parent.filename)) return standIn(request);
    // eslint-disable-next-line prefer-rest-params
    return load.apply(this, arguments as unknown as Parameters<Load>);
  };
}
