/**
 * Start-up of one demo subgraph to "subgraph ready" (the line scripts/subgraph.ts prints once it listens),
 * as the benches launch one (bench/fanout/benchMesh.ts): `node dist/scripts/subgraph.js <domain>` with an
 * in-memory DuckDB store and the in-process bus, port 0. Reported per variant, median of the runs (the
 * variants interleaved, so load from other work hits them alike): wall time to the ready line, and the
 * process's CPU time (user + system, from /proc) at that moment — on a shared machine the steadier figure.
 *
 * Variants: each `dist` folder named on the command line (default `dist`, the current build), so a copy
 * of an earlier build (`cp -r dist .cache/dist-before`; its imports still resolve to this node_modules)
 * runs interleaved with the current one. `npm run build` first.
 *
 *   npx tsx bench/subgraph-startup.ts [runs] [domain] [distDir...]     (default 7 orders dist)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { cpuMs } from './support/procStats.js';

const runs = Number(process.argv[2] ?? 7);
const domain = process.argv[3] ?? 'orders';
const distDirs = process.argv.length > 4 ? process.argv.slice(4) : ['dist'];

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** Spawns one subgraph and times it to its ready line; then stops it. */
async function timeToReady(distDir: string, dataDir: string): Promise<Sample> {
  const entry = path.resolve(distDir, 'scripts/subgraph.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: npm run build first`);
  const started = performance.now();
  const child = spawn(process.execPath, [entry, domain], {
    env: {
      ...process.env,
      MESH_STORE: 'memory',
      MESH_BUS: 'memory',
      [`${domain.toUpperCase()}_PORT`]: '0',
      MESH_DATA_DIR: dataDir,
      MESH_EXPORT_DIR: dataDir,
      MESH_EXPORT_INTERVAL_MINUTES: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  try {
    return await new Promise<Sample>((resolve, reject) => {
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on('line', (line) => {
          tail.push(line);
          if (/subgraph ready at/.test(line)) resolve({ wallMs: performance.now() - started, cpuMs: cpuMs(child.pid!) });
        });
      }
      child.once('exit', (code, signal) => reject(new Error(`${distDir}: subgraph exited (${signal ?? `code ${code}`}):\n${tail.slice(-20).join('\n')}`)));
    });
  } finally {
    const stopped = new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.once('exit', resolve)));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 8000);
    await stopped;
    clearTimeout(force);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-subgraph-startup-'));
try {
  // Warm the file system cache.
  for (const dist of distDirs) await timeToReady(dist, dataDir);
  const results = new Map(distDirs.map((d) => [d, [] as Sample[]]));
  for (let i = 0; i < runs; i++) {
    for (const dist of distDirs) results.get(dist)!.push(await timeToReady(dist, dataDir));
    process.stderr.write(`run ${i + 1}/${runs} done\n`);
  }
  for (const [dist, samples] of results) {
    const wall = median(samples.map((s) => s.wallMs));
    const cpu = median(samples.map((s) => s.cpuMs));
    console.log(
      `${dist.padEnd(22)} ${domain} ready: wall median ${wall.toFixed(0).padStart(5)} ms, CPU median ${cpu.toFixed(0).padStart(5)} ms  (wall ${samples.map((s) => s.wallMs.toFixed(0)).join(', ')}; CPU ${samples.map((s) => s.cpuMs.toFixed(0)).join(', ')})`,
    );
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
