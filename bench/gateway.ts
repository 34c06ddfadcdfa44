/**
 * `npm run bench:gateway`: our gateway against bare @apollo/gateway, Hive Gateway and Hive Gateway on
 * Hive Router's runtime (bench/support/benchGateways.ts), on four subgraphs in the public
 * graphql-gateways-benchmark's shape (bench/support/benchSubgraphs.ts), with its heavy nested query and a
 * small one-subgraph query. See README.md "Gateway benchmark".
 *
 * Two cores: every gateway is pinned to core 0 (`taskset -c 0`); this process (the load generator) and the
 * subgraphs' process are pinned to core 1. Each gateway is started alone and timed to its first answer;
 * answers are checked equal to bare Apollo's before any load; every gateway gets a warm-up per query,
 * then `BENCH_ROUNDS` interleaved rounds (the gateway order rotates each round) of `BENCH_DURATION_S`
 * seconds at `BENCH_CONNECTIONS` connections. Reported per gateway and query: req/s, p50/p99 latency,
 * gateway CPU ms per request (user + system from /proc, the gateway's process tree), peak RSS, subgraph
 * requests per request, start-up to first answer, and ratios ours/peer.
 *
 *   npm run bench:gateway
 *   BENCH_DURATION_S=3 BENCH_WARMUP_S=1 BENCH_ROUNDS=1 npm run bench:gateway   (a quick check)
 *   BENCH_GATEWAYS=ours,apollo BENCH_QUERIES=heavy npm run bench:gateway
 *   BENCH_HIVE_DEDUP=off npm run bench:gateway   (Hive Gateway without its subgraph request deduplication)
 *   BENCH_BASELINE_DIR=/tmp/before BENCH_GATEWAYS=baseline,ours npm run bench:gateway
 *     (before/after in one run: `baseline` is ours built from another checkout, e.g.
 *      `git archive <commit> | tar -x -C /tmp/before`, node_modules linked, `npx tsc -b tsconfig.build.json` there)
 *   BENCH_PROFILE=/tmp/prof BENCH_GATEWAYS=ours BENCH_QUERIES=heavy npm run bench:gateway
 *     (a V8 CPU profile of our gateway, written when it stops; summarise it with
 *      `npx tsx bench/support/summariseCpuProfile.ts /tmp/prof/<file>.cpuprofile`)
 *
 * req/s counts answers with status 200 only; any other answer is counted and shown as an error.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { signDevToken } from '../scripts/devToken.js';
import { BENCH_GATEWAY_NAMES, benchGateways, HIVE_NO_DEDUPLICATION_CONFIG, type BenchGateway } from './support/benchGateways.js';
import { composeBenchSupergraph, HEAVY_QUERY, SMALL_QUERY, startBenchSubgraphs, type BenchSubgraphName } from './support/benchSubgraphs.js';
import { freePort } from './support/freePort.js';
import { percentile, runLoad } from './support/loadGenerator.js';
import { cpuMs, peakRssMb } from './support/procStats.js';

const env = process.env;
const DURATION_S = Number(env.BENCH_DURATION_S ?? 20);
const WARMUP_S = Number(env.BENCH_WARMUP_S ?? 5);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
const GATEWAYS = (env.BENCH_GATEWAYS ?? BENCH_GATEWAY_NAMES.join(',')).split(',');
const QUERIES = { heavy: HEAVY_QUERY, small: SMALL_QUERY };
const QUERY_NAMES = (env.BENCH_QUERIES ?? 'heavy,small').split(',') as Array<keyof typeof QUERIES>;
const HIVE_DEDUP = env.BENCH_HIVE_DEDUP !== 'off';
const PROFILE_DIR = env.BENCH_PROFILE ? path.resolve(env.BENCH_PROFILE) : null;
const BASELINE_DIR = env.BENCH_BASELINE_DIR || undefined;
const GATEWAY_CORE = '0';
const LOAD_CORE = '1';

type SubgraphMessage = { kind: 'requests' };

/** The child: the four subgraphs, answering request counts over IPC. */
async function serveSubgraphs(): Promise<void> {
  const subgraphs = await startBenchSubgraphs();
  process.on('message', (_message: SubgraphMessage) => process.send!({ requests: subgraphs.requests() }));
  process.on('disconnect', () => void subgraphs.close().finally(() => process.exit(0)));
  process.send!({ urls: subgraphs.urls });
}

function pin(pid: number, core: string): boolean {
  try {
    execFileSync('taskset', ['-p', '-c', core, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ask(child: ChildProcess): Promise<Record<BenchSubgraphName, number>> {
  return new Promise((resolve) => {
    child.once('message', (answer) => resolve((answer as { requests: Record<BenchSubgraphName, number> }).requests));
    child.send({ kind: 'requests' } satisfies SubgraphMessage);
  });
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

async function post(gateway: BenchGateway, query: string): Promise<{ status: number; body: string }> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...gateway.headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.text() };
}

interface Running {
  gateway: BenchGateway;
  child: ChildProcess;
  startupMs: number;
}

/** Spawns a gateway on the gateway core and waits for its first answer to the small query. */
async function start(gateway: BenchGateway): Promise<Running> {
  const started = performance.now();
  const profile = PROFILE_DIR && gateway.name === 'ours' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn('taskset', ['-c', GATEWAY_CORE, process.execPath, ...profile, ...gateway.args], {
    env: { ...env, ...gateway.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  let exited = false;
  child.once('exit', () => void (exited = true));
  const deadline = started + 60_000;
  for (;;) {
    if (exited) throw new Error(`${gateway.name} exited before answering:\n${stderr}`);
    if (performance.now() > deadline) throw new Error(`${gateway.name} did not answer within 60 s:\n${stderr}`);
    try {
      const { status } = await post(gateway, SMALL_QUERY);
      if (status === 200) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { gateway, child, startupMs: performance.now() - started };
}

interface Sample {
  requests: number;
  errors: number;
  elapsedMs: number;
  cpuMs: number;
  subgraphRequests: number;
  latencies: Float64Array[];
}

async function main(): Promise<void> {
  const twoCores = cpus().length >= 2 && pin(process.pid, LOAD_CORE);
  if (!twoCores) console.error('!!! could not pin to two cores (taskset missing or one core): figures are not comparable');
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-gateway-'));
  const subgraphs = fork(fileURLToPath(import.meta.url), ['subgraphs'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  pin(subgraphs.pid!, LOAD_CORE);
  const running: Running[] = [];
  try {
    const { urls } = await new Promise<{ urls: Record<BenchSubgraphName, string> }>((resolve) => subgraphs.once('message', (m) => resolve(m as never)));
    const supergraphFile = path.join(dir, 'supergraph.graphql');
    writeFileSync(supergraphFile, composeBenchSupergraph(urls));
    const ports = Object.fromEntries(await Promise.all(BENCH_GATEWAY_NAMES.map(async (name) => [name, await freePort()] as const)));
    const token = await signDevToken({ scopes: [], ttlSeconds: 3600, sub: 'bench' });
    const hiveConfigFile = HIVE_DEDUP ? null : path.join(dir, 'gateway.config.mjs');
    if (hiveConfigFile) writeFileSync(hiveConfigFile, HIVE_NO_DEDUPLICATION_CONFIG);
    const gateways = benchGateways({ supergraphFile, ports, token, hiveConfigFile, baselineDir: BASELINE_DIR }).filter((g) => GATEWAYS.includes(g.name));
    console.log(
      `gateway benchmark: ${gateways.map((g) => g.name).join(', ')}; queries ${QUERY_NAMES.join(', ')}; ${CONNECTIONS} connections, ` +
        `${WARMUP_S} s warm-up, ${ROUNDS} round(s) of ${DURATION_S} s; Hive deduplication ${HIVE_DEDUP ? 'on (default)' : 'off'}; node ${process.version}; ${cpus()[0]?.model ?? 'unknown cpu'} ×${cpus().length}`,
    );

    // Start-up: one at a time, so each has the gateway core to itself.
    for (const gateway of gateways) {
      const started = await start(gateway);
      running.push(started);
      console.log(`started ${gateway.name.padEnd(12)} first answer after ${started.startupMs.toFixed(0)} ms`);
    }

    // Equal answers before any load: bare Apollo's is the reference.
    const reference = running.find((r) => r.gateway.name === 'apollo') ?? running[0];
    for (const query of QUERY_NAMES) {
      const expected = JSON.parse((await post(reference.gateway, QUERIES[query])).body) as unknown;
      const size = JSON.stringify(expected).length;
      console.log(`${query} query: ${(size / 1024).toFixed(1)} KB response (from ${reference.gateway.name})`);
      for (const r of running) {
        const { status, body } = await post(r.gateway, QUERIES[query]);
        if (status !== 200 || !isDeepStrictEqual(JSON.parse(body), expected))
          throw new Error(`${r.gateway.name} answers the ${query} query differently from ${reference.gateway.name} (status ${status}): ${body.slice(0, 500)}`);
      }
    }

    const load = (r: Running, query: keyof typeof QUERIES, seconds: number) =>
      runLoad({
        url: r.gateway.url,
        body: JSON.stringify({ query: QUERIES[query] }),
        headers: r.gateway.headers,
        connections: CONNECTIONS,
        durationMs: seconds * 1000,
      });
    for (const r of running)
      for (const query of QUERY_NAMES) {
        await load(r, query, WARMUP_S);
        console.log(`warmed up ${r.gateway.name} (${query})`);
      }

    const samples = new Map<string, Sample>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = running.map((_, i) => running[(i + round) % running.length]);
      for (const query of QUERY_NAMES)
        for (const r of order) {
          const cpuBefore = cpuMs(r.child.pid!);
          const subgraphBefore = total(await ask(subgraphs));
          const result = await load(r, query, DURATION_S);
          const cpu = cpuMs(r.child.pid!) - cpuBefore;
          const subgraphRequests = total(await ask(subgraphs)) - subgraphBefore;
          const key = `${r.gateway.name}\u0000${query}`;
          const sample = samples.get(key) ?? { requests: 0, errors: 0, elapsedMs: 0, cpuMs: 0, subgraphRequests: 0, latencies: [] };
          sample.requests += result.requests;
          sample.errors += result.errors;
          sample.elapsedMs += result.elapsedMs;
          sample.cpuMs += cpu;
          sample.subgraphRequests += subgraphRequests;
          sample.latencies.push(result.latencies);
          samples.set(key, sample);
          console.log(
            `round ${round + 1}/${ROUNDS} ${query.padEnd(5)} ${r.gateway.name.padEnd(12)} ${(((result.requests - result.errors) * 1000) / result.elapsedMs).toFixed(0).padStart(6)} req/s  ` +
              `p99 ${percentile(result.latencies, 99).toFixed(1)} ms  cpu ${(cpu / Math.max(1, result.requests - result.errors)).toFixed(2)} ms/req` +
              (result.errors ? `  !!! ${result.errors} errors` : ''),
          );
        }
    }
    printTable(running, samples);
  } finally {
    // A profiled gateway writes its profile on a clean exit: SIGTERM, then wait (bounded).
    if (PROFILE_DIR)
      await Promise.all(
        running
          .filter((r) => r.gateway.name === 'ours' && r.child.exitCode === null)
          .map(
            (r) =>
              new Promise<void>((resolve) => {
                const timer = setTimeout(resolve, 15_000);
                r.child.once('exit', () => {
                  clearTimeout(timer);
                  console.log(`CPU profile of ours written to ${PROFILE_DIR}`);
                  resolve();
                });
                r.child.kill('SIGTERM');
              }),
          ),
      );
    for (const r of running) r.child.kill('SIGKILL');
    subgraphs.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(running: Running[], samples: Map<string, Sample>): void {
  const rows: string[] = [];
  const figures = new Map<string, { rps: number; p50: number; p99: number; cpu: number }>();
  for (const query of QUERY_NAMES)
    for (const r of running) {
      const s = samples.get(`${r.gateway.name}\u0000${query}`)!;
      const latencies = Float64Array.from(s.latencies.flatMap((l) => [...l])).sort();
      const ok = Math.max(1, s.requests - s.errors);
      const f = { rps: ((s.requests - s.errors) * 1000) / s.elapsedMs, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpu: s.cpuMs / ok };
      figures.set(`${r.gateway.name}\u0000${query}`, f);
      rows.push(
        `| ${query} | ${r.gateway.name} | ${f.rps.toFixed(0)} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.cpu.toFixed(2)} | ` +
          `${peakRssMb(r.child.pid!).toFixed(0)} | ${(s.subgraphRequests / ok).toFixed(1)} | ${r.startupMs.toFixed(0)} | ${s.errors} |`,
      );
    }
  console.log('\n| query | gateway | req/s | p50 ms | p99 ms | CPU ms/req | peak RSS MB | subgraph req/req | start-up ms | errors |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  const ours = running.find((r) => r.gateway.name === 'ours');
  if (!ours) return;
  console.log('\n| query | ours / peer | req/s | p99 | CPU per request | start-up |');
  console.log('|---|---|---|---|---|---|');
  for (const query of QUERY_NAMES)
    for (const peer of running.filter((r) => r !== ours)) {
      const a = figures.get(`ours\u0000${query}`)!;
      const b = figures.get(`${peer.gateway.name}\u0000${query}`)!;
      console.log(
        `| ${query} | ours / ${peer.gateway.name} | ${(a.rps / b.rps).toFixed(2)}× | ${(a.p99 / b.p99).toFixed(2)}× | ${(a.cpu / b.cpu).toFixed(2)}× | ${(ours.startupMs / peer.startupMs).toFixed(2)}× |`,
      );
    }
}

// Last: the functions above use constants that must be initialised first.
if (process.argv[2] === 'subgraphs') await serveSubgraphs();
else await main();
