/**
 * Benchmark (issue #13): the simulator seeds 90 days of history into the four demo subgraphs in ≤ 5 s.
 *
 * Starts the four domain subgraphs as `npm start` does (compiled `dist/scripts/subgraph.js`, one process
 * each, embedded DuckDB files in a fresh temporary data directory, in-process bus, free loopback ports,
 * producer tokens required), then runs the simulator's seed against them (`runSimulator`, live mode off)
 * through the real `POST /events`. Prints the subgraphs' start-up time, the simulator's progress lines,
 * the seed's seconds, facts and facts/s per domain, and compares the seed with the 5 s target. Then
 * (unless `BENCH_SEED_RESTART=0`) the simulator runs again on the same data, as after a restart: it
 * must post only the last hour's facts again (all duplicates). Temporary files and processes are removed
 * at the end, also on Ctrl-C.
 *
 *   npm run bench:seed
 *   BENCH_SEED_DAYS=30 npm run bench:seed          # a shorter history (default 90)
 *   BENCH_SEED_BATCH=2000 npm run bench:seed       # facts per POST /events (default: the simulator's)
 *   BENCH_CPU_PROF=/tmp/prof npm run bench:seed    # subgraphs run with --cpu-prof into that folder;
 *                                                  # summarise with bench/support/summariseCpuProfile.ts
 *   BENCH_DUCKDB_THREADS=2 npm run bench:seed      # MESH_DUCKDB_THREADS of the subgraphs (default: npm start's, 1)
 *   BENCH_NODE_FLAGS=--max-semi-space-size=16 npm run bench:seed   # node flags of the subgraphs
 *
 * Other work on the machine slows the seed: the load average is printed before and after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { runSimulator, type SeedReport } from '../simulator/runSimulator.js';
import { SIM_DOMAINS, type SimDomain } from '../simulator/simulatedFact.js';
import { devProducerHeaders } from '../scripts/devToken.js';
import { isChildMessage } from '../scripts/childMessage.js';
import { allInOneDefaults } from '../scripts/allInOneDefaults.js';
import { freePort } from './support/freePort.js';
import { cpuMs } from './support/procStats.js';

const TARGET_SECONDS = 5;
const DAYS = Number(process.env.BENCH_SEED_DAYS ?? 90);
const BATCH = process.env.BENCH_SEED_BATCH ? Number(process.env.BENCH_SEED_BATCH) : undefined;
const CPU_PROF = process.env.BENCH_CPU_PROF;
const RESTART = process.env.BENCH_SEED_RESTART !== '0';
const SUBGRAPH_ENTRY = path.resolve('dist/scripts/subgraph.js');

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const seconds = (ms: number) => (ms / 1000).toFixed(2);

interface Subgraph {
  domain: SimDomain;
  base: string;
  child: ChildProcess;
  exited: Promise<void>;
}

/** Starts one domain's subgraph process and resolves once it reported ready over IPC. */
async function startSubgraph(domain: SimDomain, dataDir: string): Promise<Subgraph> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MESH_DATA_DIR: path.join(dataDir, 'data'),
    MESH_EXPORT_DIR: path.join(dataDir, 'exports'),
    [`${domain.toUpperCase()}_PORT`]: String(port),
    MESH_LOG_FORMAT: 'json',
    // What `npm start` gives its subgraphs.
    ...allInOneDefaults(process.env),
    ...(process.env.BENCH_DUCKDB_THREADS && { MESH_DUCKDB_THREADS: process.env.BENCH_DUCKDB_THREADS }),
  };
  const flags = [
    ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
    ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`, `--cpu-prof-name=${domain}.cpuprofile`] : []),
  ];
  const child = spawn(process.execPath, [...flags, SUBGRAPH_ENTRY, domain], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message) => isChildMessage(message) && resolve());
    void exited.then(() => reject(new Error(`${domain} subgraph exited before it was ready: ${stderr.trim() || '(no output)'}`)));
  });
  return { domain, base: `http://127.0.0.1:${port}`, child, exited };
}

/** Runs one seed with live mode off; progress and summary lines go to stderr. */
async function seed(subgraphs: Record<SimDomain, string>, label: string): Promise<SeedReport> {
  const simulator = runSimulator({
    subgraphs,
    seedDays: DAYS,
    ratePerSecond: 0,
    ...(BATCH && { batchSize: BATCH }),
    headers: devProducerHeaders(SIM_DOMAINS),
    log: (line) => console.error(`  [${label}] ${line}`),
    signal: interrupted.signal,
  });
  return simulator.seeded;
}

function printReport(title: string, report: SeedReport): number {
  const total = SIM_DOMAINS.reduce((n, d) => n + report.domains[d].posted, 0);
  console.log(
    `\n${title}: ${total.toLocaleString('en')} facts in ${seconds(report.durationMs)} s (${Math.round(total / (report.durationMs / 1000)).toLocaleString('en')} facts/s)`,
  );
  console.log('domain      facts   batches   applied   duplicates   done at (s)   facts/s');
  for (const domain of SIM_DOMAINS) {
    const r = report.domains[domain];
    console.log(
      `${domain.padEnd(10)}${String(r.posted).padStart(7)}${String(r.batches).padStart(10)}${String(r.applied).padStart(10)}${String(r.duplicates).padStart(13)}` +
        `${seconds(r.durationMs).padStart(14)}${Math.round(r.posted / Math.max(r.durationMs / 1000, 0.001))
          .toLocaleString('en')
          .padStart(10)}`,
    );
  }
  return total;
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'mesh-seed-bench-'));
const subgraphs: Subgraph[] = [];
/** Ctrl-C: the simulator stops first, then the subgraphs, then the files go. */
const interrupted = new AbortController();
let cleaned: Promise<void> | undefined;
const cleanup = () =>
  (cleaned ??= (async () => {
    interrupted.abort(new Error('interrupted'));
    for (const s of subgraphs) if (s.child.exitCode === null) s.child.kill('SIGTERM');
    await Promise.all(subgraphs.map((s) => s.exited));
    rmSync(dataDir, { recursive: true, force: true });
  })());
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

try {
  console.log(`Simulator seed: ${DAYS} days into the four demo subgraphs (DuckDB files under ${dataDir}); load average ${load()}`);
  const started = performance.now();
  subgraphs.push(...(await Promise.all(SIM_DOMAINS.map((domain) => startSubgraph(domain, dataDir)))));
  const ready = performance.now();
  console.log(`subgraphs ready in ${seconds(ready - started)} s`);
  const bases = Object.fromEntries(subgraphs.map((s) => [s.domain, s.base])) as Record<SimDomain, string>;

  const cpuBefore = subgraphs.map((s) => cpuMs(s.child.pid!));
  console.log(`CPU seconds of the subgraphs' start-up: ${subgraphs.map((s, i) => `${s.domain} ${seconds(cpuBefore[i])}`).join(', ')}`);
  const ownBefore = process.cpuUsage();
  const first = await seed(bases, 'seed');
  const loadAfter = load();
  const own = process.cpuUsage(ownBefore);
  printReport('First seed', first);
  const cpu = subgraphs.map((s, i) => `${s.domain} ${seconds(cpuMs(s.child.pid!) - cpuBefore[i])}`);
  console.log(`CPU seconds during the seed: ${cpu.join(', ')}, simulator ${seconds((own.user + own.system) / 1000)}`);
  const verdict = first.durationMs <= TARGET_SECONDS * 1000 ? 'meets' : 'misses';
  console.log(
    `\nseed ${seconds(first.durationMs)} s ${verdict} the ${TARGET_SECONDS} s target (subgraph start-up ${seconds(ready - started)} s before it; load average after ${loadAfter})`,
  );
  if (RESTART) {
    const again = await seed(bases, 'restart');
    printReport('Restart on the same data', again);
    const applied = SIM_DOMAINS.reduce((n, d) => n + again.domains[d].applied, 0);
    if (applied > 0) console.log(`note: the restart applied ${applied} new facts (the story had moved on by then, or the seed was incomplete)`);
  }
} finally {
  await cleanup();
}
