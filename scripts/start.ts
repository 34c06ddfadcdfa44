/**
 * `npm start`: the whole demo mesh on one machine with embedded defaults — the four domain subgraphs and
 * the gateway as child processes, plus the simulator that seeds 90 days of history on first start and
 * then emits live facts. Ctrl-C stops everything. Every child gets this process's environment, so the
 * same variables configure the pieces (see README).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DOMAINS, DOMAIN_NAMES } from '../subgraphs/domains.js';
import { simulatorConfigFromEnv } from '../simulator/simulatorConfig.js';
import { runSimulator } from '../simulator/runSimulator.js';
import { devProducerHeaders } from './devToken.js';
import { runMain } from './runMain.js';

const children = new Map<string, ChildProcess>();
let stopping = false;

/**
 * A sibling entry point of this file, as this process runs: `dist/scripts/<name>.js` under plain node
 * (`npm start`), `scripts/<name>.ts` when this file itself runs under tsx during development. Resolved
 * from this file, not the working directory.
 */
function entryPoint(name: string): string {
  const self = fileURLToPath(import.meta.url);
  return path.join(path.dirname(self), `${name}${path.extname(self)}`);
}

/**
 * The children's environment: a person at a terminal reads the children's logs through this launcher's
 * prefixed lines, so they log pretty (not JSON) unless MESH_LOG_FORMAT says otherwise; their own stderr
 * is a pipe and would pick JSON.
 */
const childEnv = process.stderr.isTTY && !process.env.MESH_LOG_FORMAT ? { ...process.env, MESH_LOG_FORMAT: 'pretty' } : process.env;

function launch(name: string, script: string, args: string[] = []): ChildProcess {
  // The node flags of this process (none under `npm start`; tsx's loader during development) go to the child too.
  const child = spawn(process.execPath, [...process.execArgv, entryPoint(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
  const prefix = `[${name}]`.padEnd(12);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`${prefix}${line}`));
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (stopping) return;
    console.error(`${prefix}exited (${signal ?? `code ${code}`}); stopping the mesh`);
    void stopAll().then(() => process.exit(1));
  });
  children.set(name, child);
  return child;
}

async function stopAll(): Promise<void> {
  stopping = true;
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 8000).unref();
        }),
    ),
  );
}

async function waitFor(url: string, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (stopping) throw new Error('stopping');
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not become ready at ${url} within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

await runMain('mesh', async () => {
  const host = process.env.MESH_HOST ?? '127.0.0.1';
  const gatewayPort = process.env.GATEWAY_PORT ?? '4000';
  const base = (domain: keyof typeof DOMAINS) => `http://${host}:${process.env[`${domain.toUpperCase()}_PORT`] ?? DOMAINS[domain].defaultPort}`;
  const simulator = simulatorConfigFromEnv(process.env);
  if (!process.env.MESH_SUBGRAPHS) process.env.MESH_SUBGRAPHS = DOMAIN_NAMES.map((d) => `${d}=${base(d)}/graphql`).join(',');

  for (const domain of DOMAIN_NAMES) launch(domain, 'subgraph', [domain]);
  await Promise.all(DOMAIN_NAMES.map((d) => waitFor(`${base(d)}/health`, `subgraph ${d}`, 60_000)));

  const sim = simulator.enabled
    ? runSimulator({
        subgraphs: Object.fromEntries(DOMAIN_NAMES.map((d) => [d, base(d)])) as Record<(typeof DOMAIN_NAMES)[number], string>,
        seed: simulator.seed,
        seedDays: simulator.seedDays,
        ratePerSecond: simulator.ratePerSecond,
        // Subgraphs only accept facts with a producer token (`<domain>:write`): a dev token, or MESH_PRODUCER_TOKEN.
        headers: devProducerHeaders(DOMAIN_NAMES),
        log: (line) => console.log(`${'[simulator]'.padEnd(12)}${line}`),
      })
    : null;
  await sim?.seeded;
  // The gateway starts once history is in place, so "ready" means a dashboard sees the seeded 90 days.
  launch('gateway', 'gateway');
  const gateway = `http://${host}:${gatewayPort}`;
  await waitFor(`${gateway}/ready`, 'gateway', 120_000);
  console.log(`
  GraphQL data mesh is up
    GraphQL (HTTP + IDE)    ${gateway}/graphql
    Subscriptions (ws)      ${gateway.replace(/^http/, 'ws')}/graphql
    Health / readiness      ${gateway}/health  ${gateway}/ready
    Subgraphs               ${DOMAIN_NAMES.map((d) => `${d} ${base(d)}/graphql`).join(', ')}
  Press Ctrl-C to stop.
`);
  return async () => {
    await sim?.stop();
    await stopAll();
  };
});
