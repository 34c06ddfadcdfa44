/**
 * One replica of the bench's orders product in a process of its own, for `npm run bench`'s "two replicas
 * writing" figure: replicas of a product are separate processes in production (each its own JavaScript
 * thread), so two runtimes sharing one bench process measured one thread's rate, not the store's.
 *
 * Forked by the bench with a `ReplicaWriterTask` as its one argument (JSON). It opens the product on that
 * PostgreSQL schema, ingests one warm-up batch (`warmFrom`: a fresh process's first batch runs before the JIT
 * has compiled anything), says `ready` over IPC, waits for `go`, ingests facts `from`..`to`
 * (`benchFact`, disjoint from the other replica's) in batches, and answers `{ ms, cpuMs }`: its wall time
 * and its process CPU (JavaScript and the driver; the server's CPU is not in it).
 */
import { InProcessBus } from '../../subgraphs/kit/bus/InProcessBus.js';
import { DataProductRuntime } from '../../subgraphs/kit/DataProductRuntime.js';
import { PostgresStore } from '../../subgraphs/kit/store/PostgresStore.js';
import { benchProduct } from './benchProduct.js';
import { ingestBenchFacts, type BenchFactRange } from './ingestBenchFacts.js';

/** What the bench hands a replica. */
export interface ReplicaWriterTask extends BenchFactRange {
  url: string;
  schema: string;
  /** First fact number of the warm-up batch (`batch` facts, disjoint from every other range). */
  warmFrom: number;
}

/** What a replica answers once its facts are in. */
export interface ReplicaWriterResult {
  ms: number;
  cpuMs: number;
}

const DAY = 86_400_000;

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2]) as ReplicaWriterTask;
  const runtime = await DataProductRuntime.start(benchProduct(), {
    store: await PostgresStore.open({ url: task.url, schema: task.schema }),
    bus: new InProcessBus({ retain: 1000 }),
    latenessMs: 365 * DAY,
    retentionIntervalMs: 0,
  });
  await ingestBenchFacts(runtime, { ...task, from: task.warmFrom, to: task.warmFrom + task.batch });
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send!('ready');
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  await ingestBenchFacts(runtime, task);
  const { user, system } = process.cpuUsage(cpu);
  const result: ReplicaWriterResult = { ms: performance.now() - started, cpuMs: (user + system) / 1000 };
  await runtime.close();
  process.send!(result, () => process.disconnect());
}

main().catch((error: unknown) => {
  process.stderr.write(`replica writer failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
