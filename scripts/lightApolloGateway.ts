/**
 * Imported first by the gateway's entry point, before anything loads @apollo/gateway: Apollo's usage
 * telemetry (metrics @apollo/gateway sends to Apollo) is off unless `APOLLO_TELEMETRY_DISABLED` says
 * otherwise, and then the modules only it uses are not loaded (core/apollo/withoutApolloTelemetry.ts);
 * the HTTP client @apollo/gateway would use by default is loaded only if used (core/apollo/deferMakeFetchHappen.ts).
 */
import { deferMakeFetchHappen } from '../core/apollo/deferMakeFetchHappen.js';
import { isApolloTelemetryOff, withoutApolloTelemetry } from '../core/apollo/withoutApolloTelemetry.js';

deferMakeFetchHappen();
process.env.APOLLO_TELEMETRY_DISABLED ??= 'true';
if (isApolloTelemetryOff(process.env)) withoutApolloTelemetry();
