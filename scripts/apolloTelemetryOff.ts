/**
 * Imported first by the gateway's entry point, before anything loads @apollo/gateway: Apollo's usage
 * telemetry (metrics @apollo/gateway sends to Apollo) is off unless `APOLLO_TELEMETRY_DISABLED` says
 * otherwise, and then the modules only it uses are not loaded (core/apollo/withoutApolloTelemetry.ts).
 */
import { withoutApolloTelemetry } from '../core/apollo/withoutApolloTelemetry.js';

process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
if (process.env.APOLLO_TELEMETRY_DISABLED === 'true' || process.env.APOLLO_TELEMETRY_DISABLED === '1') withoutApolloTelemetry();
