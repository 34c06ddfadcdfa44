/**
 * What @apollo/gateway's Apollo-telemetry-only imports resolve to in jest (test/support/jestResolver.cjs):
 * the product's stand-in, which throws if the telemetry that quietApollo.cjs turned off is used anyway.
 */
import { apolloTelemetryStandIn } from '../../core/apollo/withoutApolloTelemetry.js';

module.exports = apolloTelemetryStandIn('an OpenTelemetry package of Apollo usage telemetry (left out by test/support/jestResolver.cjs)');
