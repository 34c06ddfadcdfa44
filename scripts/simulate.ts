/**
 * `npm run simulate`: the demo producer alone, against running subgraphs — seeds history where a domain
 * has none, then emits live facts. Targets come from `MESH_SIM_TARGETS` (`domain=baseUrl,…`), default the
 * four local subgraphs; `MESH_SIM_RATE`, `MESH_SEED_DAYS`, `MESH_SIM_SEED` as for `npm start`.
 */
import { DOMAINS, DOMAIN_NAMES } from '../subgraphs/domains.js';
import { runSimulator } from '../simulator/runSimulator.js';
import { simulatorConfigFromEnv } from '../simulator/simulatorConfig.js';
import { devProducerHeaders } from './devToken.js';
import { reportReady } from './childMessage.js';
import { runMain } from './runMain.js';

await runMain('simulator', async () => {
  const config = simulatorConfigFromEnv(process.env);
  const targets: Record<string, string> = Object.fromEntries(DOMAIN_NAMES.map((d) => [d, `http://127.0.0.1:${DOMAINS[d].defaultPort}`]));
  for (const entry of (process.env.MESH_SIM_TARGETS ?? '').split(',').filter(Boolean)) {
    const [domain, url] = entry.split('=').map((s) => s.trim());
    if (!(DOMAIN_NAMES as string[]).includes(domain) || !/^https?:\/\//.test(url ?? '')) {
      throw new Error(`invalid MESH_SIM_TARGETS entry ${JSON.stringify(entry)}: use domain=http://host:port with domain one of ${DOMAIN_NAMES.join(', ')}`);
    }
    targets[domain] = url.replace(/\/$/, '');
  }
  const sim = runSimulator({
    subgraphs: targets,
    seed: config.seed,
    seedDays: config.seedDays,
    ratePerSecond: config.ratePerSecond,
    // Subgraphs only accept facts with a producer token (`<domain>:write`): a dev token, or MESH_PRODUCER_TOKEN.
    headers: devProducerHeaders(DOMAIN_NAMES),
    log: (line) => console.log(line),
  });
  await sim.seeded;
  reportReady();
  return () => sim.stop();
});
