/**
 * Start-up of the gateway to its first answer, as `npm run bench:gateway` starts it (bench/gateway.ts
 * `start()`): the benchmark's four subgraphs already running, the compiled gateway spawned on their
 * supergraph file with auth on (a valid token), its small one-subgraph query posted every 20 ms until a
 * 200. Reported per variant, median of the runs (the variants interleaved, so load from other work hits
 * them alike): wall time to the first answer, and the gateway's CPU time (user + system, all its threads,
 * from /proc) at that moment — on a shared machine the CPU time is the steadier figure.
 *
 * Variants: `bundle + code cache` is `node dist/scripts/gateway.js` as it runs after its first start;
 * `bundle, no code cache` a start without the cache (deleted before each run; the build makes one);
 * `unbundled` the same code as ES modules from dist/ (what ran before the bundle, and what runs when the
 * bundle is missing or stale); `bare apollo` @apollo/gateway + @apollo/server alone, for reference.
 * `npm run build` first.
 *
 *   npx tsx bench/gateway-startup.ts [runs]     (default 5)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signDevToken } from '../scripts/devToken.js';
import { benchGateways } from './support/benchGateways.js';
import { composeBenchSupergraph, SMALL_QUERY, startBenchSubgraphs } from './support/benchSubgraphs.js';
import { freePort } from './support/freePort.js';
import { cpuMs } from './support/procStats.js';

const runs = Number(process.argv[2] ?? 5);
const CODE_CACHE = 'dist/bundle/gateway.cjs.cache';

interface Variant {
  name: string;
  args: string[];
  env: Record<string, string>;
  headers: Record<string, string>;
  before?: () => void;
}

/** Spawns one start-up and times it to the first 200 to the small query. */
async function timeToFirstAnswer(variant: Variant): Promise<{ wallMs: number; cpuMs: number }> {
  variant.before?.();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const started = performance.now();
  const child = spawn(process.execPath, variant.args, {
    env: { ...process.env, ...variant.env, GATEWAY_PORT: String(port), PORT: String(port) },
    stdio: 'ignore',
  });
  let exited = false;
  child.once('exit', () => void (exited = true));
  try {
    for (;;) {
      if (exited) throw new Error(`${variant.name} exited before answering`);
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...variant.headers },
          body: JSON.stringify({ query: SMALL_QUERY }),
        });
        await response.arrayBuffer();
        if (response.status === 200) return { wallMs: performance.now() - started, cpuMs: cpuMs(child.pid!) };
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    // SIGINT: a graceful stop, so our gateway finishes writing its code cache (right after its first answer).
    const stopped = new Promise((resolve) => (exited ? resolve(null) : child.once('exit', resolve)));
    child.kill('SIGINT');
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await stopped;
    clearTimeout(force);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const subgraphs = await startBenchSubgraphs();
const dir = mkdtempSync(path.join(tmpdir(), 'bench-startup-'));
try {
  const supergraphFile = path.join(dir, 'supergraph.graphql');
  writeFileSync(supergraphFile, composeBenchSupergraph(subgraphs.urls));
  const token = await signDevToken({ scopes: [], ttlSeconds: 3600, sub: 'bench' });
  // Ports are given per start (GATEWAY_PORT / PORT); the bench's own settings otherwise.
  const gateways = benchGateways({ supergraphFile, ports: {}, token, hiveConfigFile: null });
  const ours = gateways.find((g) => g.name === 'ours')!;
  const apollo = gateways.find((g) => g.name === 'apollo')!;
  const variants: Variant[] = [
    { name: 'bundle + code cache', args: ours.args, env: ours.env, headers: ours.headers },
    { name: 'bundle, no code cache', args: ours.args, env: ours.env, headers: ours.headers, before: () => rmSync(CODE_CACHE, { force: true }) },
    {
      name: 'unbundled (ES modules)',
      args: ['--input-type=module', '-e', "(await import('./dist/scripts/gatewayProcess.js')).runGatewayProcess()"],
      env: ours.env,
      headers: ours.headers,
    },
    { name: 'bare apollo', args: apollo.args, env: apollo.env, headers: apollo.headers },
  ];
  // Warm the file system cache, and leave a code cache for the first variant.
  for (const variant of variants) await timeToFirstAnswer(variant);
  await timeToFirstAnswer(variants[0]);
  const results = new Map(variants.map((v) => [v.name, [] as Array<{ wallMs: number; cpuMs: number }>]));
  for (let i = 0; i < runs; i++) for (const variant of variants) results.get(variant.name)!.push(await timeToFirstAnswer(variant));
  for (const [name, samples] of results) {
    const wall = median(samples.map((s) => s.wallMs));
    const cpu = median(samples.map((s) => s.cpuMs));
    console.log(
      `${name.padEnd(24)} first answer: wall median ${wall.toFixed(0).padStart(5)} ms, CPU median ${cpu.toFixed(0).padStart(5)} ms  (wall ${samples.map((s) => s.wallMs.toFixed(0)).join(', ')})`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await subgraphs.close();
}
