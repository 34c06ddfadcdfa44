/**
 * The gateway process, configured by env (see README): what `npm run gateway` runs, bundled
 * (build/bundleGateway.ts) or not. scripts/gateway.ts is the entry point that picks one.
 */
// First: before @apollo/gateway loads (README.md "Configuration", APOLLO_TELEMETRY_DISABLED).
import './lightApolloGateway.js';
import { gatewayConfigFromEnv, startGateway } from '../gateway/index.js';
import { setTimeout as delay } from 'node:timers/promises';
import { afterFirstAnswer } from './afterFirstAnswer.js';
import { reportReady } from './childMessage.js';
import { runMain } from './runMain.js';

/** Options of {@link runGatewayProcess}. */
export interface GatewayProcessOptions {
  /**
   * Called once, after the gateway's first answered HTTP request (the start-up work is done by then); a
   * request aborted before its answer does not count (scripts/afterFirstAnswer.ts).
   * @default nothing
   */
  onFirstAnswer?: () => void;
}

/** Runs the gateway until SIGINT, SIGTERM or the launcher's disconnect (scripts/runMain.ts). */
export async function runGatewayProcess({ onFirstAnswer }: GatewayProcessOptions = {}): Promise<void> {
  // @apollo/gateway's OpenTelemetry GCP detector probes a cloud metadata server that is not there; skip it.
  process.env.METADATA_SERVER_DETECTION ??= 'none';

  await runMain('gateway', async () => {
    const config = gatewayConfigFromEnv(process.env);
    // Off by default; on, the gateway's spans and @apollo/gateway's own go to the OTLP collector.
    const otlpEndpoint = config.observability?.otlpEndpoint;
    // The SDK is loaded only when tracing is on: it is hundreds of modules a process without it never needs.
    const tracing = otlpEndpoint
      ? (await import('../core/observability/startTracing.js')).startTracing({ serviceName: 'gateway', exporter: { otlpEndpoint } })
      : null;
    const gateway = await startGateway({ config });
    if (onFirstAnswer) afterFirstAnswer(gateway.server, onFirstAnswer);
    console.log(`gateway ready at ${gateway.url} (websocket ${gateway.wsUrl})`);
    // Under the launcher, "ready" means queries can be planned: the first supergraph is in service.
    if (process.connected) {
      while (!gateway.supergraph() && process.connected) await delay(100);
      reportReady(gateway.url);
    }
    return async () => {
      await gateway.close();
      await tracing?.shutdown();
    };
  });
}
