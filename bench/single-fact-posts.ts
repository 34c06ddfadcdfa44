/**
 * The orders subgraph's cost per single-fact `POST /events` (issue #13, and issue #9's 1,000 subscribers
 * × 100 facts/s, where this cost was the limit): starts the compiled orders subgraph alone in a child
 * process (DuckDB in memory or in a file, in-process bus, the default dev auth), posts one fact per
 * request at a fixed rate from this process, and prints the subgraph's CPU per fact (from /proc, DuckDB's
 * threads included), the POST round trip p50/p99 and the load average. Each fact is an order of its own in
 * the current minute, as a live stream sends them.
 *
 *   npx tsx bench/single-fact-posts.ts [--rate 100] [--seconds 20] [--store memory|file] [--duckdb-threads 1]
 *   npx tsx bench/single-fact-posts.ts "--node-args=--cpu-prof --cpu-prof-dir=/tmp/prof"   # profile the subgraph
 *
 * Build first (`npm run build`): the subgraph runs from `dist/`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { devProducerHeaders } from '../scripts/devToken.js';
import { cpuMs } from './support/procStats.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    store: { type: 'string', default: 'memory' },
    'node-args': { type: 'string', default: '' },
    'duckdb-threads': { type: 'string' }, // MESH_DUCKDB_THREADS; unset: DuckDB's default, one per core
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
if (!(rate > 0) || !(seconds > 0) || !['memory', 'file'].includes(values.store)) throw new Error('usage: --rate <n> --seconds <n> --store memory|file');

const entry = path.resolve('dist/scripts/subgraph.js');
if (!existsSync(entry)) throw new Error(`${entry} is missing: npm run build first`);
const dir = mkdtempSync(path.join(tmpdir(), 'bench-single-posts-'));
const child = spawn(process.execPath, [...values['node-args'].split(' ').filter(Boolean), entry, 'orders'], {
  env: {
    ...process.env,
    MESH_STORE: values.store === 'memory' ? 'memory' : 'duckdb',
    MESH_BUS: 'memory',
    ORDERS_PORT: '0',
    MESH_DATA_DIR: dir,
    MESH_EXPORT_DIR: dir,
    MESH_EXPORT_INTERVAL_MINUTES: '0',
    ...(values['duckdb-threads'] && { MESH_DUCKDB_THREADS: values['duckdb-threads'] }),
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const url = await new Promise<string>((resolve, reject) => {
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      const match = /subgraph ready at (\S+)/.exec(line);
      if (match) resolve(match[1].replace(/\/graphql$/, '/events'));
    });
  }
  child.once('exit', (code) => reject(new Error(`the subgraph exited (${code}):\n${tail.slice(-20).join('\n')}`)));
});
const headers = { 'content-type': 'application/json', ...(await devProducerHeaders(['orders'])()) };

let next = 0;
const post = async (): Promise<number> => {
  const n = next++;
  const now = Date.now();
  const fact = {
    specversion: '1.0',
    id: `single-${now}-${n}`,
    source: 'urn:bench:single',
    type: 'OrderPlaced',
    time: new Date(now - 1_000).toISOString(),
    data: {
      orderId: `single-${now}-${n}`,
      productId: `p${n % 50}`,
      quantity: 1,
      unitPrice: 10,
      region: 'eu',
      channel: 'web',
      customerEmail: `c${n % 500}@example.com`,
    },
  };
  const t = performance.now();
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(fact) });
  const body = (await response.json()) as { applied?: number };
  if (body.applied !== 1) throw new Error(`fact ${n} not applied (${response.status}): ${JSON.stringify(body)}`);
  return performance.now() - t;
};

/** Posts at `rate` for `ms`, each on its own schedule (a slow answer does not delay the next send). */
async function run(ms: number): Promise<number[]> {
  const latencies: number[] = [];
  const inFlight: Array<Promise<void>> = [];
  const start = performance.now();
  for (let i = 0; i < (ms / 1000) * rate; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(post().then((latency) => void latencies.push(latency)));
  }
  await Promise.all(inFlight);
  return latencies;
}

try {
  await run(3_000); // warm-up: JIT, DuckDB's first row groups
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const cpuBefore = cpuMs(child.pid!);
  const latencies = (await run(seconds * 1000)).sort((a, b) => a - b);
  const cpu = cpuMs(child.pid!) - cpuBefore;
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  console.log(
    `${latencies.length} single-fact POSTs at ${rate}/s (${values.store} store, DuckDB threads ${values['duckdb-threads'] ?? 'default'}): subgraph CPU ${((cpu / (seconds * 1000)) * 100).toFixed(0)} % of a core, ` +
      `${((cpu * 1000) / latencies.length).toFixed(0)} µs per fact; POST p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms; load average ${load} before, ` +
      `${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} after`,
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
