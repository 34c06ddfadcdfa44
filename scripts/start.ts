/**
 * `npm start`: the whole demo mesh on one machine with embedded defaults — the four domain subgraphs, the
 * simulator (seeds 90 days of history, completes an interrupted seed, back-fills the gap after downtime,
 * then emits live facts) and the gateway, each a supervised child process: a piece that crashes is
 * restarted with backoff while the others keep serving. Ctrl-C stops them in order (gateway, simulator,
 * subgraphs). Every child gets this process's environment, so the same variables configure the pieces.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMAIN_NAMES, domainUrls } from '../subgraphs/domains.js';
import { simulatorConfigFromEnv } from '../simulator/simulatorConfig.js';
import { devProducerHeaders } from './devToken.js';
import { postSampleFacts } from './postSampleFacts.js';
import { runMain } from './runMain.js';
import { GATEWAY_NODE_FLAGS } from './gatewayNodeFlags.js';
import { gatewayAllocatorEnv } from './gatewayAllocator.js';
import { allInOneDefaults } from './allInOneDefaults.js';
import { superviseChild, type SupervisedChild } from './superviseChild.js';

/**
 * A sibling entry point of this file, as this process runs: `dist/scripts/<name>.js` under plain node
 * (`npm start`), `scripts/<name>.ts` when this file itself runs under tsx during development. Resolved
 * from this file, not the working directory.
 */
function entryPoint(name: string): string {
  const self = fileURLToPath(import.meta.url);
  return path.join(path.dirname(self), `${name}${path.extname(self)}`);
}

await runMain('mesh', async () => {
  const host = process.env.MESH_HOST ?? '127.0.0.1';
  // The same addresses `npm run compose` writes into schema/supergraph.graphql.
  const urls = domainUrls(process.env);
  const base = (domain: (typeof DOMAIN_NAMES)[number]) => urls[domain].replace(/\/graphql$/, '');
  const simulator = simulatorConfigFromEnv(process.env);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...allInOneDefaults(process.env),
    MESH_SUBGRAPHS: process.env.MESH_SUBGRAPHS || DOMAIN_NAMES.map((d) => `${d}=${base(d)}/graphql`).join(','),
    MESH_SIM_TARGETS: process.env.MESH_SIM_TARGETS || DOMAIN_NAMES.map((d) => `${d}=${base(d)}`).join(','),
    // A person at a terminal reads the pieces' logs through this launcher, so they log pretty lines
    // unless MESH_LOG_FORMAT says otherwise (their own stderr is a pipe and would pick JSON).
    ...(process.stderr.isTTY && !process.env.MESH_LOG_FORMAT && { MESH_LOG_FORMAT: 'pretty' }),
  };
  const start = (name: string, script: string, args: string[] = [], nodeFlags: readonly string[] = [], extraEnv: NodeJS.ProcessEnv = {}) =>
    superviseChild({ name, entry: entryPoint(script), args, nodeFlags, env: { ...env, ...extraEnv } });
  // Read before anything starts: a bad MESH_GATEWAY_ALLOCATOR stops the launch with its reason.
  const gatewayAllocator = gatewayAllocatorEnv(env);

  // Stopped in this order: first what clients talk to, last what holds the data.
  let gateway: SupervisedChild | null = null;
  let sim: SupervisedChild | null = null;
  const subgraphs: SupervisedChild[] = [];
  const stopAll = async () => {
    await gateway?.stop();
    await sim?.stop();
    await Promise.all(subgraphs.map((s) => s.stop()));
  };
  try {
    subgraphs.push(...DOMAIN_NAMES.map((domain) => start(domain, 'subgraph', [domain])));
    await Promise.all(subgraphs.map((s) => s.ready));
    // The simulator reports ready once history is in place, so "up" means a dashboard sees the seeded days.
    if (simulator.enabled) {
      sim = start('simulator', 'simulate');
      await sim.ready;
      // Domains added with `npm run new-domain` bring their own sample facts (the simulator's story has four domains).
      await postSampleFacts({
        bases: Object.fromEntries(DOMAIN_NAMES.map((d) => [d, base(d)])),
        headers: devProducerHeaders(DOMAIN_NAMES),
        log: (line) => console.log(`${'[simulator]'.padEnd(12)}${line}`),
      });
    }
    gateway = start('gateway', 'gateway', [], GATEWAY_NODE_FLAGS, gatewayAllocator);
    const { url } = await gateway.ready;
    const graphql = url ?? `http://${host}:${process.env.GATEWAY_PORT ?? '4000'}/graphql`;
    const origin = graphql.replace(/\/graphql$/, '');
    console.log(`
  GraphQL data mesh is up
    GraphQL (HTTP + IDE)    ${graphql}
    Subscriptions (ws)      ${graphql.replace(/^http/, 'ws')}
    Health / readiness      ${origin}/health  ${origin}/ready
    Subgraphs               ${DOMAIN_NAMES.map((d) => `${d} ${base(d)}/graphql`).join(', ')}
  A piece that crashes is restarted; press Ctrl-C to stop.
`);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
});
