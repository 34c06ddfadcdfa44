/**
 * Jest's module resolver (jest.config.cjs `resolver`): the default one, plus the start-up trims the
 * gateway's entry points make (core/apollo/withoutApolloTelemetry.ts, core/apollo/deferMakeFetchHappen.ts)
 * for the gateways the tests build in-process. Jest loads modules through its own registry, once per test
 * file, so those trims (which intercept Node's `require`) see nothing here; without them every file that
 * imports @apollo/gateway compiled about 600 modules that only Apollo's usage telemetry and its unused
 * `make-fetch-happen` fetcher need: a fifth of the suite's module loading.
 *
 * - The OpenTelemetry packages `@apollo/gateway/dist/utilities/opentelemetry.js` requires for its usage
 *   metrics (all but `api` and `semantic-conventions`: the product's `APOLLO_TELEMETRY_ONLY`, which
 *   test/tooling/jestResolver.test.ts holds this rule to) resolve to a stand-in that throws when used
 *   (test/support/apolloTelemetryStandIn.ts): quietApollo.cjs turns that telemetry off in every test file.
 * - `make-fetch-happen`, required by @apollo/gateway, resolves to a stand-in that loads it at first use
 *   (test/support/deferredMakeFetchHappen.ts).
 *
 * Any other requirer of those packages gets the real ones. Tests of the trims themselves run the product's
 * hooks in fresh Node processes (test/apollo/withoutApolloTelemetry.test.ts, deferMakeFetchHappen.test.ts).
 */
const path = require('node:path');

const APOLLO_GATEWAY_DIST = `${path.sep}@apollo${path.sep}gateway${path.sep}dist`;
const APOLLO_TELEMETRY_DIR = `${APOLLO_GATEWAY_DIST}${path.sep}utilities`;
const KEPT_BY_TELEMETRY_MODULE = new Set(['@opentelemetry/api', '@opentelemetry/semantic-conventions/incubating']);
const TELEMETRY_STAND_IN = path.join(__dirname, 'apolloTelemetryStandIn.ts');
const DEFERRED_FETCHER = path.join(__dirname, 'deferredMakeFetchHappen.ts');

/** @type {(request: string, options: { basedir: string, defaultResolver: (request: string, options: object) => string }) => string} */
module.exports = (request, options) => {
  const { basedir } = options;
  if (request.startsWith('@opentelemetry/') && basedir.endsWith(APOLLO_TELEMETRY_DIR) && !KEPT_BY_TELEMETRY_MODULE.has(request)) return TELEMETRY_STAND_IN;
  if (request === 'make-fetch-happen' && `${basedir}${path.sep}`.includes(`${APOLLO_GATEWAY_DIST}${path.sep}`)) return DEFERRED_FETCHER;
  return options.defaultResolver(request, options);
};
