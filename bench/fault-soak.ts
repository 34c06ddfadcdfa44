/**
 * Fault soak (issue #12): the whole mesh as `npm start` runs it (compiled, supervised children, simulator
 * live), N query clients and M subscribers through the gateway, while one subgraph is killed with
 * SIGKILL (the launcher restarts it) and later another is paused with SIGSTOP for a while (SIGCONT).
 * Loopback only, bounded in time. Checks: nothing crashes, memory stays bounded (RSS samples), query
 * errors stay inside the outage windows, and every subscriber saw, in order and without duplicates,
 * every event a fresh replay from its first cursor delivers up to its last one (no gap).
 *
 *   npm run bench:soak                               # 3 minutes, 4 query clients, 4 subscribers
 *   npm run bench:soak -- --minutes 1 --queries 2 --subscribers 2
 *   npm run bench:soak -- --kill inventory --pause shipping
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { signDevToken } from '../scripts/devToken.js';
import { childrenOf } from './support/childrenOf.js';
import { freePort } from './support/freePort.js';
import { quantile } from './support/quantile.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '3' },
    queries: { type: 'string', default: '4' },
    subscribers: { type: 'string', default: '4' },
    kill: { type: 'string', default: 'inventory' },
    pause: { type: 'string', default: 'shipping' },
    'pause-seconds': { type: 'string', default: '15' },
    'sim-rate': { type: 'string', default: '5' },
  },
});
const DURATION_MS = Number(args.minutes) * 60_000;
const QUERY_CLIENTS = Number(args.queries);
const SUBSCRIBERS = Number(args.subscribers);
const KILL = args.kill;
const PAUSE = args.pause;
const PAUSE_MS = Number(args['pause-seconds']) * 1000;
/** Errors this long after an outage ends still count as the outage's (reconnects, in-flight requests). */
const GRACE_MS = 3_000;
const QUERY_TIMEOUT_MS = 10_000;
const ROOT = path.resolve(import.meta.dirname, '..');

// Every subgraph in one query: catalog's products, orders' sales, inventory's stock, shipping's delivery.
const QUERY = `query ($range: TimeRangeInput!) { products(first: 5) { edges { node { id name
  sales(range: $range, granularity: DAY) { total { units } } stock { onHand } delivery { avgLeadTimeHours } } } } }`;
const SUBSCRIPTION = `subscription ($from: String) { orderBucketUpdated(granularity: MINUTE, from: $from) { cursor bucket { units } } }`;

type Outcome = 'ok' | 'partial' | 'failed';
interface Sample {
  at: number;
  ms: number;
  outcome: Outcome;
  detail?: string;
}
interface Window {
  name: string;
  from: number;
  to: number;
}

function rssMb(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
}

const log = (line: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}`);

// 1. The mesh, compiled and supervised, on free ports, with its data in a scratch folder.
log('building (tsc -b tsconfig.build.json)');
const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
const scratch = mkdtempSync(path.join(tmpdir(), 'mesh-soak-'));
const ports = Object.fromEntries(
  await Promise.all(['GATEWAY', 'CATALOG', 'ORDERS', 'INVENTORY', 'SHIPPING'].map(async (name) => [`${name}_PORT`, String(await freePort())] as const)),
);
const meshLines: string[] = [];
const mesh: ChildProcess = spawn(process.execPath, ['dist/scripts/start.js'], {
  cwd: ROOT,
  env: {
    ...process.env,
    ...ports,
    MESH_DATA_DIR: path.join(scratch, 'data'),
    MESH_EXPORT_DIR: path.join(scratch, 'exports'),
    MESH_EXPORT_INTERVAL_MINUTES: '0',
    MESH_SEED_DAYS: '2',
    MESH_SIM_RATE: args['sim-rate'],
    METADATA_SERVER_DETECTION: 'none',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const lineWaiters = new Set<(line: string) => void>();
for (const stream of [mesh.stdout!, mesh.stderr!])
  createInterface({ input: stream }).on('line', (line) => {
    meshLines.push(line);
    for (const waiter of lineWaiters) waiter(line);
  });
const meshExit = new Promise<number | null>((resolve) => mesh.on('exit', (code) => resolve(code)));
const waitForLine = (pattern: RegExp, timeoutMs: number) =>
  new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      lineWaiters.delete(check);
      reject(new Error(`no mesh line matching ${pattern} within ${timeoutMs} ms`));
    }, timeoutMs);
    const check = (line: string) => {
      if (!pattern.test(line)) return;
      clearTimeout(timer);
      lineWaiters.delete(check);
      resolve(Date.now());
    };
    lineWaiters.add(check);
  });
log('starting the mesh (dist/scripts/start.js)');
await waitForLine(/GraphQL data mesh is up/, 180_000);
const gatewayUrl = `http://127.0.0.1:${ports.GATEWAY_PORT}/graphql`;
// One user per client, as in production: the gateway's rate limit is per user (600 operations a minute by
// default), and one token shared by every client would measure that limit instead of the faults.
const tokenOf = (client: string) =>
  signDevToken({ scopes: [], ttlSeconds: 3_600, sub: `soak-${client}`, privateJwksFile: path.join(ROOT, 'config/dev-jwks.private.json') });
const started = Date.now();
const endAt = started + DURATION_MS;
const range = { from: new Date(started - 2 * 86_400_000).toISOString(), to: new Date(started + 86_400_000).toISOString() };
log(`mesh up; soaking for ${DURATION_MS / 60_000} min: ${QUERY_CLIENTS} query clients, ${SUBSCRIBERS} subscribers; kill ${KILL}, pause ${PAUSE}`);

// 2. Query clients.
const samples: Sample[] = [];
const queryClient = async (index: number) => {
  const token = await tokenOf(`query-${index}`);
  while (Date.now() < endAt) {
    const at = Date.now();
    try {
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: QUERY, variables: { range } }),
        signal: AbortSignal.timeout(QUERY_TIMEOUT_MS),
      });
      const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string; serviceName?: string } }> };
      const error = body.errors?.[0]?.extensions;
      const outcome: Outcome = response.status !== 200 || !body.data ? 'failed' : body.errors?.length ? 'partial' : 'ok';
      samples.push({ at, ms: Date.now() - at, outcome, detail: error && `${error.code}${error.serviceName ? ` ${error.serviceName}` : ''}` });
    } catch (error) {
      samples.push({
        at,
        ms: Date.now() - at,
        outcome: 'failed',
        detail: (error as Error).name === 'TimeoutError' ? 'client timeout' : (error as Error).message,
      });
      await delay(200);
    }
  }
};

// 3. Subscribers: each resumes from its last cursor whenever its stream ends or fails.
interface Subscriber {
  cursors: string[];
  resubscribes: number;
  errors: number;
}
const subscribers: Subscriber[] = [];
const stopSubscriptions = new AbortController();
const subscriber = async (state: Subscriber, index: number) => {
  const token = await tokenOf(`subscriber-${index}`);
  const client = createClient({
    url: gatewayUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => delay(Math.min(2_000, 100 * 2 ** retries)),
  });
  try {
    while (!stopSubscriptions.signal.aborted) {
      const from = state.cursors.at(-1) ?? null;
      const iterator = client.iterate<{ orderBucketUpdated: { cursor: string } }>({ query: SUBSCRIPTION, variables: { from } });
      const stop = () => void iterator.return?.();
      stopSubscriptions.signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const result of iterator) {
          if (result.errors?.length) state.errors++;
          const cursor = result.data?.orderBucketUpdated?.cursor;
          if (cursor) state.cursors.push(cursor);
        }
      } catch {
        state.errors++;
      } finally {
        stopSubscriptions.signal.removeEventListener('abort', stop);
      }
      if (stopSubscriptions.signal.aborted) break;
      state.resubscribes++;
      await delay(250);
    }
  } finally {
    await client.dispose();
  }
};

// 4. Faults, memory samples and progress lines.
const windows: Window[] = [];
const rss: Record<string, number[]> = {};
const pidOf = (name: string) =>
  childrenOf(mesh.pid!).find((c) => (name === 'gateway' ? /gateway\.js$/ : new RegExp(`subgraph\\.js ${name}$`)).test(c.args))?.pid;
const sampler = setInterval(() => {
  for (const name of ['gateway', 'catalog', 'orders', 'inventory', 'shipping']) {
    const pid = pidOf(name);
    const mb = pid ? rssMb(pid) : null;
    if (mb !== null) (rss[name] ??= []).push(mb);
  }
}, 5_000);
const progress = setInterval(() => {
  const count = (o: Outcome) => samples.filter((s) => s.outcome === o).length;
  const events = subscribers.reduce((n, s) => n + s.cursors.length, 0);
  const elapsed = Math.round((Date.now() - started) / 1000);
  log(
    `${elapsed}/${DURATION_MS / 1000} s: queries ok ${count('ok')}, partial ${count('partial')}, failed ${count('failed')}; events ${events}; gateway RSS ${rss.gateway?.at(-1)?.toFixed(0) ?? '?'} MB`,
  );
}, 10_000);
const faults = (async () => {
  await delay(DURATION_MS * 0.25);
  const victim = pidOf(KILL);
  if (!victim) throw new Error(`no ${KILL} subgraph process to kill`);
  const back = waitForLine(new RegExp(`^\\[${KILL}\\]\\s+ready again`), 120_000);
  const from = Date.now();
  process.kill(victim, 'SIGKILL');
  log(`killed ${KILL} (pid ${victim}) with SIGKILL`);
  const to = await back;
  windows.push({ name: `${KILL} killed → ready again`, from, to });
  log(`${KILL} ready again after ${((to - from) / 1000).toFixed(1)} s`);

  await delay(Math.max(0, started + DURATION_MS * 0.55 - Date.now()));
  const paused = pidOf(PAUSE);
  if (!paused) throw new Error(`no ${PAUSE} subgraph process to pause`);
  const pausedAt = Date.now();
  process.kill(paused, 'SIGSTOP');
  log(`paused ${PAUSE} (pid ${paused}) with SIGSTOP for ${PAUSE_MS / 1000} s`);
  await delay(PAUSE_MS);
  process.kill(paused, 'SIGCONT');
  windows.push({ name: `${PAUSE} paused (SIGSTOP → SIGCONT)`, from: pausedAt, to: Date.now() });
  log(`resumed ${PAUSE} with SIGCONT`);
})();

for (let i = 0; i < SUBSCRIBERS; i++) {
  const state: Subscriber = { cursors: [], resubscribes: 0, errors: 0 };
  subscribers.push(state);
  void subscriber(state, i);
}
await Promise.all([...Array.from({ length: QUERY_CLIENTS }, (_, i) => queryClient(i)), faults]);
stopSubscriptions.abort();
clearInterval(progress);
clearInterval(sampler);

// 5. Gap check: a fresh subscription from each subscriber's first cursor replays what it should have seen.
async function replay(first: string, last: string): Promise<string[]> {
  const token = await tokenOf('replay');
  const client = createClient({ url: gatewayUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` } });
  const cursors: string[] = [];
  const iterator = client.iterate<{ orderBucketUpdated: { cursor: string } }>({ query: SUBSCRIPTION, variables: { from: first } });
  const timer = setTimeout(() => void iterator.return?.(), 20_000);
  try {
    for await (const result of iterator) {
      const cursor = result.data?.orderBucketUpdated?.cursor;
      if (!cursor) continue;
      cursors.push(cursor);
      if (cursor === last) break;
    }
  } finally {
    clearTimeout(timer);
    await client.dispose();
  }
  return cursors;
}
const subscriptionRows = [];
for (const [i, s] of subscribers.entries()) {
  const duplicates = s.cursors.length - new Set(s.cursors).size;
  const outOfOrder = s.cursors.filter((c, k) => k > 0 && Number(c) <= Number(s.cursors[k - 1])).length;
  let missing: number | string = 'n/a';
  if (s.cursors.length >= 2) {
    const seen = new Set(s.cursors);
    const expected = await replay(s.cursors[0], s.cursors.at(-1)!).catch(() => null);
    missing = expected ? expected.slice(0, expected.indexOf(s.cursors.at(-1)!) + 1 || undefined).filter((c) => !seen.has(c)).length : 'replay failed';
  }
  subscriptionRows.push({ subscriber: i + 1, events: s.cursors.length, resubscribes: s.resubscribes, errors: s.errors, duplicates, outOfOrder, missing });
}

// 6. Stop the mesh the way an operator does, and time it.
const stopStarted = Date.now();
mesh.kill('SIGTERM');
const exitCode = await Promise.race([meshExit, delay(30_000).then(() => 'did not exit within 30 s')]);
const stopMs = Date.now() - stopStarted;

// 7. Summary.
const inWindow = (s: Sample) => windows.some((w) => s.at + s.ms >= w.from && s.at <= w.to + GRACE_MS);
const phase = (name: string, keep: (s: Sample) => boolean) => {
  const picked = samples.filter(keep);
  const count = (o: Outcome) => picked.filter((s) => s.outcome === o).length;
  const latencies = picked.map((s) => s.ms);
  return {
    phase: name,
    queries: picked.length,
    ok: count('ok'),
    partial: count('partial'),
    failed: count('failed'),
    'p50 ms': Math.round(quantile(latencies, 0.5)),
    'p99 ms': Math.round(quantile(latencies, 0.99)),
    'max ms': Math.round(Math.max(...latencies, 0)),
  };
};
console.log('\nQueries');
console.table([
  phase('outside the outage windows', (s) => !inWindow(s)),
  ...windows.map((w) => phase(w.name, (s) => s.at + s.ms >= w.from && s.at <= w.to + GRACE_MS)),
]);
const strays = samples.filter((s) => s.outcome !== 'ok' && !inWindow(s));
const reasons = new Map<string, number>();
for (const s of samples.filter((x) => x.outcome !== 'ok'))
  reasons.set(`${s.outcome}: ${s.detail ?? '?'}`, (reasons.get(`${s.outcome}: ${s.detail ?? '?'}`) ?? 0) + 1);
console.log('Errors by reason (all phases)');
console.table([...reasons].map(([reason, count]) => ({ reason, count })));
console.log('Subscriptions (orderBucketUpdated through the gateway)');
console.table(subscriptionRows);
console.log('Memory (RSS, MB, sampled every 5 s)');
console.table(
  Object.entries(rss).map(([name, values]) => ({
    process: name,
    first: Math.round(values[0]),
    max: Math.round(Math.max(...values)),
    last: Math.round(values.at(-1)!),
  })),
);
const subscriptionsClean = subscriptionRows.every((r) => r.duplicates === 0 && r.outOfOrder === 0 && (r.missing === 0 || r.missing === 'n/a'));
const verdict = [
  [`mesh stopped with code ${exitCode} in ${stopMs} ms`, exitCode === 0],
  [`query errors outside the outage windows: ${strays.length}`, strays.length === 0],
  [`subscriptions without duplicates, reordering or gaps`, subscriptionsClean],
  [`every subscriber received events`, subscriptionRows.every((r) => r.events > 0)],
] as const;
console.log('Verdict');
for (const [line, ok] of verdict) console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${line}`);
rmSync(scratch, { recursive: true, force: true });
process.exitCode = verdict.every(([, ok]) => ok) ? 0 : 1;
