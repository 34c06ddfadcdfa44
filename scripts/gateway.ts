/** `npm run gateway`: the gateway alone, configured by env (see README). */
import { gatewayConfigFromEnv, startGateway } from '../gateway/index.js';
import { setTimeout as delay } from 'node:timers/promises';
import { reportReady } from './childMessage.js';
import { runMain } from './runMain.js';

// @apollo/gateway's OpenTelemetry GCP detector probes a cloud metadata server that is not there; skip it.
process.env.METADATA_SERVER_DETECTION ??= 'none';

await runMain('gateway', async () => {
  const config = gatewayConfigFromEnv(process.env);
  const gateway = await startGateway({ config });
  console.log(`gateway ready at ${gateway.url} (websocket ${gateway.wsUrl})`);
  // Under the launcher, "ready" means queries can be planned: the first supergraph is in service.
  if (process.connected) {
    while (!gateway.supergraph() && process.connected) await delay(100);
    reportReady(gateway.url);
  }
  return gateway.close;
});
