/**
 * Benchmark: subscription fan-out through the gateway (issue #9). The demo subgraphs and the gateway run
 * as compiled JS in processes of their own (`fanout/benchMesh.ts`, in-memory stores, loopback); load
 * generators in further processes (`fanout/loadGenerator.ts`) open N graphql-ws clients subscribed to
 * `orderBucketUpdated(granularity: MINUTE) { cursor bucket { start orders units } product { name stock { onHand } } }`
 * with an `orders:read` token, while facts are posted to orders `POST /events` at a fixed rate. Every
 * event is matched to its fact per client (loss, duplicates) and timed from the fact's send time on the
 * machine's one clock. Scenarios: identical operations, every client its own `operationName`, and one
 * client that never reads while the others keep up. Prints a table per scenario; flags in
 * `fanout/options.ts` (`--help`).
 *
 *   npm run bench:fanout                                  full run, about 10 minutes
 *   npm run bench:fanout -- --clients 200 --duration 5    a quick check
 */
import { spawnSync } from 'node:child_process';
import { gatewayAllocatorEnv } from '../scripts/gatewayAllocator.js';
import { startBenchMesh } from './fanout/benchMesh.js';
import { fanoutOptions } from './fanout/options.js';
import { openFileLimits } from './fanout/procStats.js';
import { runScenario, type ScenarioContext, type ScenarioResult } from './fanout/runScenario.js';

const options = fanoutOptions(process.argv.slice(2));
const largest = Math.max(...options.scenarios.map((s) => s.clients));

// Each client is a socket in a load generator and one in the gateway. Node raises its soft open-file
// limit to the hard one by itself, so only a higher hard limit helps: try it in a shell (allowed as root
// or where the system permits) and run again under it, once; otherwise say what to do.
const wanted = largest + 4_096;
if (openFileLimits().soft < wanted && !process.env.FANOUT_ULIMIT_RAISED) {
  const target = Math.max(wanted, 65_536);
  console.log(`open-file limit ${openFileLimits().soft} < ${wanted}: trying ulimit -n ${target} and starting again`);
  const again = spawnSync('bash', ['-c', `ulimit -n ${target} 2>/dev/null; exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, FANOUT_ULIMIT_RAISED: '1' },
  });
  process.exit(again.status ?? 1);
}
if (openFileLimits().soft < wanted) {
  const { soft, hard } = openFileLimits();
  console.warn(
    `⚠ open-file limit ${soft} (hard ${hard}) < ${wanted} needed for ${largest} clients: raise the hard limit (e.g. ulimit -Hn 65536 as root, or docker run --ulimit nofile=65536)`,
  );
}

const HEADER = `| scenario | clients | fact rate | delivered | lost | duplicates | latency p50 / p99 | gateway CPU | gateway RSS idle / peak / after | idle RSS per client: from idle / marginal | load generator CPU | subgraphs CPU |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`;

const startedAt = Date.now();
const estimateS = (clients: number) => options.durationS + options.drainS / 2 + options.settleS + 5 + clients / 500;
let remainingS = options.scenarios.reduce((total, s) => total + estimateS(s.clients), 0);
const eta = () => {
  const s = Math.max(0, Math.round(remainingS));
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

const allocator = gatewayAllocatorEnv(process.env).LD_PRELOAD;
console.log(
  `starting the mesh (4 subgraphs + gateway, compiled JS, as npm start runs them; gateway allocator: ${allocator ? `preloaded ${allocator}` : "the C library's"}) for ${options.scenarios.length} scenarios, about ${eta()}`,
);
const mesh = await startBenchMesh(options.gatewayNodeArgs, options.subgraphNodeArgs);
// Ctrl-C (or a timeout's SIGTERM) must not leave the subgraphs and the gateway running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping the mesh`);
    void mesh.close().finally(() => process.exit(130));
  });
}
const context: ScenarioContext = {
  mesh,
  baseMinute: Math.floor(Date.now() / 60_000) * 60_000,
  nextSeq: 0,
  durationS: options.durationS,
  drainS: options.drainS,
  settleS: options.settleS,
  warmupS: options.warmupS,
  generators: options.generators,
  snapshotAfter: options.snapshotAfter,
  snapshotConnected: options.snapshotConnected,
  progress: (line) => console.log(`  ${line} · run ETA ${eta()}`),
};

const results: ScenarioResult[] = [];
const skipped: string[] = [];
try {
  for (const scenario of options.scenarios) {
    if ((Date.now() - startedAt) / 60_000 > options.budgetMin) {
      skipped.push(`${scenario.kind} ${scenario.clients} × ${scenario.rate}/s`);
      continue;
    }
    const began = Date.now();
    const result = await runScenario(context, scenario);
    results.push(result);
    remainingS -= estimateS(scenario.clients);
    console.log(`  done in ${((Date.now() - began) / 1000).toFixed(0)} s: ${row(result)}`);
  }
} finally {
  await mesh.close();
}

console.log(`\nSubscription fan-out, ${options.durationS} s of facts per scenario (${new Date().toISOString()}):\n`);
console.log(HEADER);
for (const result of results) console.log(row(result));
const notes = results.flatMap((r) => r.notes.map((note) => `- ${r.kind} ${r.clients} × ${r.rate}/s: ${note}`));
if (notes.length) console.log(`\n${notes.join('\n')}`);
if (skipped.length) console.log(`\nnot run (over the ${options.budgetMin}-minute budget): ${skipped.join(', ')}`);

function row(r: ScenarioResult): string {
  const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  const ms = (value: number) =>
    Number.isNaN(value) ? '–' : value === Number.POSITIVE_INFINITY ? '> 300000' : value < 10 ? value.toFixed(1) : value.toFixed(0);
  const percent = r.expected ? (100 * r.delivered) / r.expected : 0;
  return `| ${r.kind} | ${r.clients.toLocaleString('en')} | ${r.rate}/s | ${percent.toFixed(percent === 100 ? 0 : 2)} % | ${(r.expected - r.delivered).toLocaleString('en')} | ${r.duplicates} | ${ms(r.p50)} / ${ms(r.p99)} ms | ${r.gatewayCpu.toFixed(0)} % | ${mb(r.rssIdle)} / ${mb(r.rssPeak)} / ${mb(r.rssAfter)} MB | ${(r.idleBytesPerClient / 1024).toFixed(1)} / ${Number.isNaN(r.marginalBytesPerClient) ? '–' : (r.marginalBytesPerClient / 1024).toFixed(1)} KB | ${r.generatorCpu.toFixed(0)} % | ${r.subgraphCpu.toFixed(0)} % |`;
}
