/**
 * Benchmark: the orders subgraph's CPU per delivered change event with many websocket subscriptions
 * directly on it (issue #9, item 4). The subgraph runs in a child process (in-memory DuckDB, in-process
 * bus, loopback, port 0) so its CPU is measured apart from the clients'. `BENCH_CLIENTS` graphql-ws
 * clients (default 200, one socket each) subscribe to
 * `orderBucketUpdated(granularity: MINUTE) { cursor bucket { start orders units revenue } product { id } }`
 * (`BENCH_NESTED=1` adds `product { sales(range) { total { orders } } }`, resolved in the subgraph too);
 * then `BENCH_FACTS` facts (default 40) are posted one at a time to `POST /events`, each waiting until
 * every client received its event. Prints the subgraph CPU per fact and per delivery, and the POST latency.
 *
 *   npm run bench:subgraph-fanout   (BENCH_PROFILE=<dir> writes a CPU profile of the subgraph)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { benchProgress } from './benchProgress.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 200);
const FACTS = Number(process.env.BENCH_FACTS ?? 40);
const NESTED = process.env.BENCH_NESTED === '1';

type Request = { kind: 'cpu' } | { kind: 'subscribers' };

if (process.argv[2] === 'serve') await serve();
else await main();

/** The child: the orders subgraph, answering CPU and subscriber-count requests over IPC. */
async function serve(): Promise<void> {
  const { startSubgraph } = await import('../subgraphs/startSubgraph.js');
  const exportDir = mkdtempSync(path.join(tmpdir(), 'bench-fanout-'));
  const running = await startSubgraph({
    domain: 'orders',
    host: '127.0.0.1',
    port: 0,
    schemaDir: path.resolve('schema'),
    store: { kind: 'duckdb', path: ':memory:' },
    bus: { kind: 'memory' },
    exportDir,
    latenessMs: 7 * 86_400_000,
  });
  process.on('message', (request: Request) => {
    if (request.kind === 'cpu') process.send!({ cpu: process.cpuUsage() });
    else
      process.send!({
        subscribers: (running.runtime.bus as unknown as { subscribers: Set<unknown> }).subscribers.size,
      });
  });
  process.on('disconnect', () => {
    void running.close().finally(() => {
      rmSync(exportDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
  process.send!({ port: running.served.port });
}

function ask<T>(child: ChildProcess, request: Request): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (answer) => resolve(answer as T));
    child.send(request);
  });
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['serve'], {
    execArgv: [...process.execArgv, ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));
  const base = `http://127.0.0.1:${port}`;
  const now = Date.now();
  const range = `{ from: "${new Date(now - 86_400_000).toISOString()}", to: "${new Date(now + 86_400_000).toISOString()}" }`;
  const query = `subscription { orderBucketUpdated(granularity: MINUTE) { cursor bucket { start orders units revenue } product { id ${NESTED ? `sales(range: ${range}) { total { orders } }` : ''} } } }`;

  const clients: Client[] = [];
  const received = new Map<string, number>();
  let waiter: { cursor: string; resolve: () => void } | undefined;
  for (let i = 0; i < CLIENTS; i++) {
    const client = createClient({
      url: `ws://127.0.0.1:${port}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    clients.push(client);
    client.subscribe<{ orderBucketUpdated: { cursor: string } }>(
      { query },
      {
        next: ({ data }) => {
          const cursor = data!.orderBucketUpdated.cursor;
          const count = (received.get(cursor) ?? 0) + 1;
          received.set(cursor, count);
          if (waiter && waiter.cursor === cursor && count === CLIENTS) waiter.resolve();
        },
        error: (error) => console.error('subscription error', error),
        complete: () => {},
      },
    );
  }
  while ((await ask<{ subscribers: number }>(child, { kind: 'subscribers' })).subscribers < CLIENTS) await new Promise((r) => setTimeout(r, 20));

  const post = async (i: number) => {
    const body = {
      specversion: '1.0',
      id: `bench-${now}-${i}`,
      source: 'urn:bench',
      type: 'OrderPlaced',
      time: new Date(now - 60_000 - i * 1000).toISOString(),
      data: {
        orderId: `bench-${i}`,
        productId: `p${i % 5}`,
        quantity: 1,
        unitPrice: 10,
        region: 'eu',
        channel: 'web',
        customerEmail: 'bench@example.com',
      },
    };
    const started = performance.now();
    const response = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { applied?: number };
    if (answer.applied !== 1) throw new Error(`fact ${i} not applied: ${JSON.stringify(answer)}`);
    return performance.now() - started;
  };
  /** Posts fact i and waits until every client has its event (matched by the newest cursor). */
  const deliver = async (i: number) => {
    const before = new Set(received.keys());
    const latency = await post(i);
    for (;;) {
      const fresh = [...received.keys()].find((c) => !before.has(c));
      if (fresh !== undefined) {
        if (received.get(fresh)! < CLIENTS) await new Promise<void>((resolve) => (waiter = { cursor: fresh, resolve }));
        break;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    return latency;
  };

  await deliver(-1); // warm-up
  const cpuBefore = await ask<{ cpu: NodeJS.CpuUsage }>(child, { kind: 'cpu' });
  const started = performance.now();
  const latencies: number[] = [];
  const progress = benchProgress('facts delivered to every subscriber', FACTS);
  for (let i = 0; i < FACTS; i++) {
    latencies.push(await deliver(i));
    progress(i + 1);
  }
  const wall = performance.now() - started;
  const cpuAfter = await ask<{ cpu: NodeJS.CpuUsage }>(child, { kind: 'cpu' });
  const cpuMs = (cpuAfter.cpu.user - cpuBefore.cpu.user + cpuAfter.cpu.system - cpuBefore.cpu.system) / 1000;
  latencies.sort((a, b) => a - b);
  const deliveries = FACTS * CLIENTS;
  console.log(`orders subgraph, ${CLIENTS} websocket subscriptions${NESTED ? ' (with nested product.sales)' : ''}, ${FACTS} facts, ${deliveries} deliveries`);
  console.log(
    `  subgraph CPU: ${cpuMs.toFixed(0)} ms total, ${(cpuMs / FACTS).toFixed(1)} ms per fact, ${((cpuMs * 1000) / deliveries).toFixed(1)} µs per delivery`,
  );
  console.log(
    `  wall: ${(wall / FACTS).toFixed(1)} ms per fact until all clients had it; POST /events p50 ${latencies[Math.floor(FACTS / 2)].toFixed(1)} ms, max ${latencies[FACTS - 1].toFixed(1)} ms`,
  );

  for (const c of clients) await c.dispose();
  child.disconnect();
}
