/**
 * Benchmark: what one compaction of the embedded store costs as its keyed tables grow (issue #16). Loads
 * the orders facts of `bench/ingest-and-history.ts` into a DuckDB file up to each size (compacted), then,
 * with background compaction off, applies a few more batches of 5,000 and times the compaction that folds
 * them (`DuckDbStore.compact`: every grain, the day grain included), statement by statement.
 *
 *   npx tsx bench/compaction-slice.ts                    # 100k then 1M facts, 3 batches pending, 3 runs
 *   BENCH_FACTS=200000 npx tsx bench/compaction-slice.ts # FACTS/10 then FACTS
 *   BENCH_DUCKDB_FILE=/tmp/c.duckdb npx tsx bench/compaction-slice.ts  # keep (and reuse) the loaded file
 *   BENCH_CPU_PROFILE=/tmp/prof npx tsx bench/compaction-slice.ts     # a CPU profile per compaction (compaction-<facts>-<run>)
 *
 * Summarise a profile with `npx tsx bench/support/summariseCpuProfile.ts <file>`.
 *
 * The pending batches of a run are compacted by the next run, so each run folds the same amount.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBConnection } from '@duckdb/node-api';
import { InProcessBus } from '../subgraphs/kit/bus/InProcessBus.js';
import { DataProductRuntime } from '../subgraphs/kit/DataProductRuntime.js';
import { DuckDbStore } from '../subgraphs/kit/store/DuckDbStore.js';
import { benchFact } from './support/benchFact.js';
import { benchProduct } from './support/benchProduct.js';

const FINAL = Number(process.env.BENCH_FACTS ?? 1_000_000);
const SIZES = [Math.round(FINAL / 10), FINAL];
const BATCH = 5_000;
const PENDING_BATCHES = 3;
const RUNS = 3;
const DAY = 86_400_000;
const end = Math.floor(Date.now() / DAY) * DAY;
const dir = process.env.BENCH_DUCKDB_FILE ? null : mkdtempSync(path.join(tmpdir(), 'mesh-compaction-'));
const file = process.env.BENCH_DUCKDB_FILE ?? path.join(dir!, 'orders.duckdb');

const profileDir = process.env.BENCH_CPU_PROFILE;

const progress = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** Statement time by kind while `timing` is on: every statement the store runs goes through these two methods. */
const statements = new Map<string, { ms: number; cpuMs: number; count: number }>();
let timing = false;
for (const method of ['run', 'runAndReadAll'] as const) {
  const original = DuckDBConnection.prototype[method] as (...args: unknown[]) => Promise<unknown>;
  (DuckDBConnection.prototype as unknown as Record<string, unknown>)[method] = async function (this: DuckDBConnection, ...args: unknown[]) {
    if (!timing) return original.apply(this, args);
    const t = performance.now();
    const cpu = process.cpuUsage();
    try {
      return await original.apply(this, args);
    } finally {
      const kind = String(args[0]).replace(/\s+/g, ' ').replace(/"/g, '').slice(0, 70);
      const entry = statements.get(kind) ?? { ms: 0, cpuMs: 0, count: 0 };
      const { user, system } = process.cpuUsage(cpu);
      entry.ms += performance.now() - t;
      entry.cpuMs += (user + system) / 1000;
      entry.count++;
      statements.set(kind, entry);
    }
  };
}

/** The inspector session profiling the timed compactions, when `BENCH_CPU_PROFILE` names a folder. */
const profiler = profileDir ? new Session() : null;
if (profiler) {
  mkdirSync(profileDir!, { recursive: true });
  profiler.connect();
  await profiler.post('Profiler.enable');
}

async function runtimeOn(options: { background: boolean }) {
  const store = await DuckDbStore.open({ path: file, ...(options.background ? {} : { compactAfterRows: Number.MAX_SAFE_INTEGER, compactIdleMs: 0 }) });
  const runtime = await DataProductRuntime.start(benchProduct(), {
    store,
    bus: new InProcessBus({ retain: 10 }),
    latenessMs: 365 * DAY,
    retentionIntervalMs: 0,
  });
  return { store, runtime };
}

async function ingest(runtime: DataProductRuntime, from: number, to: number): Promise<void> {
  for (let n = from; n < to; n += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, to - n) }, (_, i) => benchFact(n + i, end));
    const report = await runtime.ingest(batch);
    if (report.applied !== batch.length) throw new Error(`batch at ${n}: ${report.applied} of ${batch.length} applied`);
  }
}

/** Facts the file holds already: a size below is skipped, as in `ingest-and-history.ts`. */
async function factsHeld(): Promise<number> {
  const { store, runtime } = await runtimeOn({ background: false });
  const count = await store.factCount();
  await runtime.close();
  return count;
}

let held = await factsHeld();
try {
  for (const size of SIZES) {
    if (held > size && size !== SIZES.at(-1)) continue;
    if (held < size) {
      progress(`loading up to ${size.toLocaleString('en')} facts`);
      const { store, runtime } = await runtimeOn({ background: true });
      await ingest(runtime, held, size);
      await store.compact();
      await runtime.close();
      held = size;
    }
    const times: Array<{ ms: number; cpuMs: number }> = [];
    const { store, runtime } = await runtimeOn({ background: false });
    // Run 0 warms up: the first statements on a table after open load its index and row groups.
    for (let run = 0; run <= RUNS; run++) {
      const first = 1e9 + Math.floor(Math.random() * 1e12); // ids no load uses (the bench's and earlier runs')
      await ingest(runtime, first, first + PENDING_BATCHES * BATCH);
      const pending = store.pendingDeltaRows;
      statements.clear();
      timing = true;
      const t = performance.now();
      const cpu = process.cpuUsage();
      if (profiler) await profiler.post('Profiler.start');
      await store.compact();
      const ms = performance.now() - t;
      const { user, system } = process.cpuUsage(cpu);
      const cpuMs = (user + system) / 1000;
      timing = false;
      if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        const out = path.join(profileDir!, `compaction-${held}-${run}.cpuprofile`);
        writeFileSync(out, JSON.stringify(profile));
      }
      if (run > 0) times.push({ ms, cpuMs });
      progress(
        `${held.toLocaleString('en')} facts, ${run === 0 ? 'warm-up' : `run ${run}`}: ${pending.toLocaleString('en')} delta rows compacted in ${ms.toFixed(0)} ms (${cpuMs.toFixed(0)} ms CPU)`,
      );
      const sql = [...statements.values()].reduce((sum, entry) => ({ ms: sum.ms + entry.ms, cpuMs: sum.cpuMs + entry.cpuMs }), { ms: 0, cpuMs: 0 });
      progress(`    ${sql.ms.toFixed(0).padStart(6)} ms, ${sql.cpuMs.toFixed(0).padStart(6)} ms CPU in all statements (the rest: JS)`);
      for (const [kind, entry] of [...statements].sort((a, b) => b[1].cpuMs - a[1].cpuMs).slice(0, 8)) {
        progress(`    ${entry.ms.toFixed(0).padStart(6)} ms, ${entry.cpuMs.toFixed(0).padStart(6)} ms CPU ×${entry.count} ${kind}`);
      }
    }
    await runtime.close();
    console.log(`| ${held.toLocaleString('en')} facts | ${times.map(({ ms, cpuMs }) => `${ms.toFixed(0)} ms (${cpuMs.toFixed(0)} ms CPU)`).join(' / ')} |`);
  }
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
