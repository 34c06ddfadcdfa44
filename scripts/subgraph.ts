/** `npm run subgraph -- <domain>`: one domain's data product subgraph, configured by env (see README). */
import { subgraphConfigFromEnv } from '../subgraphs/subgraphConfig.js';
import { startSubgraph } from '../subgraphs/startSubgraph.js';
import { DOMAIN_NAMES } from '../subgraphs/domains.js';
import { reportReady } from './childMessage.js';
import { runMain } from './runMain.js';

const domain = process.argv[2] ?? process.env.MESH_SUBGRAPH;
await runMain(`subgraph ${domain ?? ''}`.trim(), async () => {
  if (!domain) throw new Error(`name the subgraph: npm run subgraph -- <${DOMAIN_NAMES.join('|')}>`);
  const config = subgraphConfigFromEnv(domain, process.env);
  // Off by default; on, request, store and bus spans go to the OTLP collector, joined to the gateway's traces.
  const otlpEndpoint = config.observability?.otlpEndpoint;
  // The SDK is loaded only when tracing is on: it is hundreds of modules a process without it never needs.
  const tracing = otlpEndpoint
    ? (await import('../core/observability/startTracing.js')).startTracing({ serviceName: `${domain}-subgraph`, exporter: { otlpEndpoint } })
    : null;
  const running = await startSubgraph(config);
  console.log(
    `${domain} subgraph ready at ${running.served.url} (websocket ${running.served.wsUrl}, store ${config.store.kind === 'duckdb' ? config.store.path : 'postgres'})`,
  );
  // Reconnect attempts ran out: exit non-zero with the reason, so a supervisor (npm start) restarts the subgraph.
  // (NATS only: its client is loaded only when configured.)
  const { JetStreamBus } = config.bus.kind === 'nats' ? await import('../subgraphs/kit/nats.js') : { JetStreamBus: null };
  if (JetStreamBus && running.runtime.bus instanceof JetStreamBus)
    void running.runtime.bus.lost.then((error) => {
      console.error(`subgraph ${domain}: ${error.message}; exiting`);
      process.exit(1);
    });
  reportReady(running.served.url);
  return async () => {
    await running.close();
    await tracing?.shutdown();
  };
});
