/**
 * One scenario of the fan-out benchmark: load generators connect their clients, warm-up facts flow until
 * every client has had an event, then facts are posted at the fixed rate for the duration, late events
 * are waited for, and each generator reports its matched deliveries and latencies. Gateway CPU and RSS
 * come from /proc, sampled while it runs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchMesh, EventHistograms } from './benchMesh.js';
import { createHistogram, merge, percentile } from './histogram.js';
import type { Scenario } from './options.js';
import { cpuMs, processAgeS, rssBytes, tcpEstablished } from './procStats.js';
import { now, SLOW_CLIENT_SUBSCRIPTIONS, type FromGenerator, type SlowClientReport, type ToGenerator } from './protocol.js';

export interface ScenarioContext {
  mesh: BenchMesh;
  baseMinute: number;
  /** The next fact sequence number; facts are numbered across the whole run so buckets never repeat. */
  nextSeq: number;
  durationS: number;
  drainS: number;
  /** Seconds after the clients left before the gateway's RSS and heap are read again. */
  settleS: number;
  warmupS: number;
  generators: number;
  /**
   * Heap snapshot of the gateway after the scenario (its node args then include
   * `--heapsnapshot-signal=SIGUSR2`). Only after: a snapshot pauses the gateway for seconds to minutes.
   */
  snapshotAfter: boolean;
  /** Heap snapshot of the gateway once its clients are connected and idle (see `FanoutOptions.snapshotConnected`). */
  snapshotConnected: boolean;
  /** A progress line (rate, ETA). */
  progress(line: string): void;
}

export interface ScenarioResult extends Scenario {
  facts: number;
  expected: number;
  delivered: number;
  duplicates: number;
  p50: number;
  p99: number;
  /** Gateway CPU while facts flowed and drained, in % of one core. */
  gatewayCpu: number;
  /** The load generators' CPU over the same time, in % of one core (all generators together). */
  generatorCpu: number;
  /** The four subgraphs' CPU over the same time, in % of one core. */
  subgraphCpu: number;
  rssIdle: number;
  rssPeak: number;
  rssAfter: number;
  /** Gateway RSS growth per connected, subscribed client before any measured event, in bytes, from idle. */
  idleBytesPerClient: number;
  /**
   * The same growth from half the clients to all of them, per client added (the slope), in bytes; NaN with
   * one load generator (`--generators 1`), which connects all its clients at once.
   */
  marginalBytesPerClient: number;
  notes: string[];
}

/** POSTs in flight at most; facts that fall due meanwhile go out together in the next one. */
const MAX_IN_FLIGHT = 16;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Load generator processes for a scenario unless `--generators` says: one per 5,000 clients and one per
 * 60,000 deliveries a second, so the clients' side keeps up and the latency measured is the mesh's. One
 * process reading 100,000 frames a second (1,000 clients at 100/s) fell seconds behind on a busy machine
 * while the gateway had written them in time.
 */
export function defaultGenerators(scenario: Pick<Scenario, 'clients' | 'rate'>): number {
  return Math.max(1, Math.ceil(scenario.clients / 5_000), Math.ceil((scenario.clients * scenario.rate) / 60_000));
}

/**
 * The gateway's idle RSS once it has settled: from 15 s after its start, read every second until two
 * reads agree within 1 % (20 s at most). A gateway just started still holds its start-up's freed memory:
 * glibc's RSS was 180 MB at 2 s and 162 MB from 10 s on; jemalloc purges it after its 10 s decay (199 MB,
 * then 151). An idle read taken earlier made every client's cost and the return after they left look
 * better or worse than they are.
 */
async function settledRss(pid: number, progress: (line: string) => void): Promise<number> {
  const young = 15 - processAgeS(pid);
  if (young > 0) {
    progress(`waiting ${young.toFixed(0)} s for the gateway's start-up memory to settle before its idle RSS is read`);
    await sleep(young * 1000);
  }
  let previous = rssBytes(pid);
  for (let waitedS = 1; waitedS <= 20; waitedS++) {
    await sleep(1000);
    const current = rssBytes(pid);
    if (Math.abs(current - previous) <= previous * 0.01) return current;
    previous = current;
  }
  progress(`idle RSS still moving after 20 s: ${mib(previous)} MB taken as idle`);
  return previous;
}

interface Generator {
  child: ChildProcess;
  clients: number;
  progress: { warmClients: number; events: number; deliveries: number; closed: number };
  connected: Promise<Extract<FromGenerator, { type: 'connected' }>>;
  result: Promise<Extract<FromGenerator, { type: 'result' }>>;
  slowPort?: number;
}

function startGenerator(context: ScenarioContext, scenario: Scenario, clients: number, firstIndex: number, slowClient: boolean): Generator {
  const child = fork(fileURLToPath(new URL('./loadGenerator.ts', import.meta.url)), [], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const generator = { child, clients, progress: { warmClients: 0, events: 0, deliveries: 0, closed: 0 } } as Generator;
  const once = <T extends FromGenerator['type']>(type: T) =>
    new Promise<Extract<FromGenerator, { type: T }>>((resolve, reject) => {
      const onMessage = (message: FromGenerator) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message as Extract<FromGenerator, { type: T }>);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`a load generator exited (code ${code}) before "${type}"`)));
    });
  generator.connected = once('connected');
  generator.result = once('result');
  generator.connected.catch(() => {});
  generator.result.catch(() => {});
  child.on('message', (message: FromGenerator) => {
    if (message.type === 'progress') generator.progress = message;
    else if (message.type === 'slowPort') generator.slowPort = message.port;
  });
  const start: ToGenerator = {
    type: 'start',
    wsUrl: context.mesh.gateway.wsUrl,
    clients,
    firstIndex,
    kind: scenario.kind,
    baseMinute: context.baseMinute,
    slowClient,
  };
  child.send(start);
  return generator;
}

export async function runScenario(context: ScenarioContext, scenario: Scenario): Promise<ScenarioResult> {
  const { mesh, durationS, drainS, warmupS } = context;
  const gatewayPid = mesh.gateway.pid;
  const label = `${scenario.kind} ${scenario.clients.toLocaleString('en')} × ${scenario.rate}/s`;
  const notes: string[] = [];
  const rssIdle = await settledRss(gatewayPid, (line) => context.progress(`[${label}] ${line}`));
  const { used: heapIdle, youngGeneration: youngIdle } = await mesh.gatewayHeap();
  let rssPeak = rssIdle;
  // A gateway gone mid-scenario ends the run with how it ended (`gone()`), not with a failed /proc read.
  const gone = () => {
    const exit = mesh.gatewayExit();
    if (exit) throw new Error(`[${label}] the gateway ${exit}`);
  };
  const sampler = setInterval(() => {
    if (mesh.gatewayExit()) clearInterval(sampler);
    else rssPeak = Math.max(rssPeak, rssBytes(gatewayPid));
  }, 250);

  // Two load generators at least, so the clients connect in two waves: the gateway's RSS is read when the
  // first wave is connected and idle and again with all of them, the same way, and the slope between
  // the two is what a client adds, whatever the gateway's memory did once, when clients first came
  // (its young generation grows to its maximum with the first burst of connections and stays there).
  const count = context.generators || Math.max(Math.min(2, scenario.clients), defaultGenerators(scenario));
  const waves = count >= 2 ? [Math.ceil(count / 2), count] : [count];
  const generators: Generator[] = [];
  const broadcast = (message: ToGenerator) => {
    for (const { child } of generators) if (child.connected) child.send(message);
  };
  const sum = (pick: (g: Generator) => number) => generators.reduce((total, g) => total + pick(g), 0);
  let started = 0;
  let opened = 0;
  let failed = 0;
  let keepingUp = 0;
  let warm = 0;

  try {
    const readings: Array<{ clients: number; rss: number; heap: number; youngGeneration: number }> = [];
    for (const upTo of waves) {
      const connectStarted = now();
      const wave: Generator[] = [];
      for (let g = generators.length; g < upTo; g += 1) {
        const share = Math.floor(scenario.clients / count) + (g < scenario.clients % count ? 1 : 0);
        wave.push(startGenerator(context, scenario, share, started, scenario.kind === 'slow' && g === 0));
        started += share;
      }
      generators.push(...wave);
      const connected = await Promise.all(wave.map((g) => g.connected));
      const waveFailed = connected.reduce((total, c) => total + c.failed, 0);
      failed += waveFailed;
      opened = started - failed;
      if (waveFailed) notes.push(`${waveFailed} clients failed to connect (${connected.find((c) => c.firstError)?.firstError})`);
      context.progress(
        `[${label}] ${opened} clients connected (${wave.reduce((total, g) => total + g.clients, 0)} in ${((now() - connectStarted) / 1000).toFixed(1)} s); warming up`,
      );

      // Warm-up: one fact at a time until every client (that keeps up) has had an event, so the upstream
      // subscriptions are live before measuring; then until the events stop coming, so no backlog of
      // warm-up events is measured.
      keepingUp = opened - (scenario.kind === 'slow' ? 1 : 0);
      const warmDeadline = now() + warmupS * 1000;
      while (sum((g) => g.progress.warmClients) < keepingUp && now() < warmDeadline) {
        void mesh.postOrders([context.nextSeq++], context.baseMinute).catch(() => {});
        const next = Math.min(now() + 3000, warmDeadline);
        while (sum((g) => g.progress.warmClients) < keepingUp && now() < next) await sleep(100);
      }
      warm = sum((g) => g.progress.warmClients);
      if (warm < keepingUp) notes.push(`only ${warm} of ${keepingUp} clients had a warm-up event within ${warmupS} s`);
      for (let seen = -1; sum((g) => g.progress.events) !== seen && now() < warmDeadline + warmupS * 1000;) {
        seen = sum((g) => g.progress.events);
        await sleep(1500); // longer than the generators' 1 s progress period
      }
      // Clients connected and subscribed, no event in flight: what idle clients cost the gateway, read as
      // the idle RSS is (settled), so that memory the allocator is about to give back is not counted.
      gone();
      const rss = await settledRss(gatewayPid, (line) => context.progress(`[${label}] ${line}`));
      const heap = await mesh.gatewayHeap();
      readings.push({ clients: opened, rss, heap: heap.used, youngGeneration: heap.youngGeneration });
    }
    const full = readings.at(-1)!;
    const half = readings.length > 1 ? readings[0] : undefined;
    const rssConnected = full.rss;
    const heapConnected = full.heap;
    const marginalBytesPerClient = half && full.clients > half.clients ? (full.rss - half.rss) / (full.clients - half.clients) : Number.NaN;
    notes.push(
      `gateway RSS idle / ${half ? `${half.clients} clients / ` : ''}${full.clients} clients: ${mib(rssIdle)} / ${half ? `${mib(half.rss)} / ` : ''}${mib(full.rss)} MB; ` +
        `V8 young generation ${mib(youngIdle)} / ${half ? `${mib(half.youngGeneration)} / ` : ''}${mib(full.youngGeneration)} MB committed (sized by allocation bursts, not by clients)`,
    );
    context.progress(`[${label}] warm: ${warm} clients, gateway RSS ${mib(rssConnected)} MB; measuring`);
    if (context.snapshotConnected) notes.push(await heapAfterSnapshot(mesh, gatewayPid, 'connected'));

    const firstSeq = context.nextSeq;
    broadcast({ type: 'measure', firstSeq });
    const slowGenerator = generators.find((g) => g.slowPort !== undefined);
    const histogramsStart = await mesh.eventHistograms();
    const measureStart = now();
    let slowClosedAt: number | undefined;
    const slowWatch =
      slowGenerator &&
      setInterval(() => {
        if (slowClosedAt === undefined && !tcpEstablished(mesh.gateway.port, slowGenerator.slowPort!)) slowClosedAt = (now() - measureStart) / 1000;
      }, 100);
    const cpuStart = cpuMs(gatewayPid);
    const subgraphCpuStart = mesh.subgraphPids.reduce((total, pid) => total + cpuMs(pid), 0);
    const generatorCpuStart = sum((g) => cpuMs(g.child.pid!));

    const facts = Math.round(scenario.rate * durationS);
    const expectedDeliveries = facts * keepingUp;
    let inFlight = 0;
    let postErrors = 0;
    let late = 0;
    let sent = 0;
    const posts: Promise<void>[] = [];
    /** Send time of each measured fact, and how long each POST /events took (the subgraph's commit). */
    const sentAtOf = new Map<number, number>();
    const postMs: number[] = [];
    let lastProgress = now();
    while (sent < facts) {
      // Every fact due by now goes out in one POST: a subgraph that commits each request on its own
      // cannot take 100 requests a second, and a backlog of requests would falsify the rate.
      const elapsedMs = now() - measureStart;
      const due = Math.min(facts, Math.floor((elapsedMs * scenario.rate) / 1000) + 1);
      if (due > sent && inFlight < MAX_IN_FLIGHT) {
        const seqs: number[] = [];
        for (; sent < due; sent += 1) {
          if (elapsedMs - (sent * 1000) / scenario.rate > 100) late += 1;
          seqs.push(context.nextSeq++);
        }
        const sentAt = now();
        for (const seq of seqs) {
          sentAtOf.set(seq, sentAt);
          broadcast({ type: 'sent', seq, sentAt });
        }
        inFlight += 1;
        posts.push(
          mesh
            .postOrders(seqs, context.baseMinute)
            .then(() => void postMs.push(now() - sentAt))
            .catch(() => void (postErrors += seqs.length))
            .finally(() => void (inFlight -= 1)),
        );
      }
      if (now() - lastProgress >= 2000) {
        gone();
        lastProgress = now();
        const elapsed = (lastProgress - measureStart) / 1000;
        const delivered = sum((g) => g.progress.deliveries);
        context.progress(
          `[${label}] ${elapsed.toFixed(0)}/${durationS} s · sent ${sent} (${(sent / elapsed).toFixed(1)}/s) · ` +
            `delivered ${delivered.toLocaleString('en')} of ${(sent * keepingUp).toLocaleString('en')} sent so far · ` +
            `gateway ${((100 * (cpuMs(gatewayPid) - cpuStart)) / (lastProgress - measureStart)).toFixed(0)} % CPU, ${mib(rssBytes(gatewayPid))} MB`,
        );
      }
      await sleep(Math.max(1, Math.min(measureStart + (sent * 1000) / scenario.rate - now(), 50)));
    }
    await Promise.all(posts);
    if (postErrors) notes.push(`${postErrors} facts failed to post`);
    if (late) notes.push(`${late} facts went out more than 100 ms after their time (POST /events in flight: at most ${MAX_IN_FLIGHT})`);
    const drainDeadline = now() + drainS * 1000;
    while (sum((g) => g.progress.deliveries) < expectedDeliveries && now() < drainDeadline) await sleep(100);
    await sleep(1100); // one more progress report from every generator
    gone();
    const wall = now() - measureStart;
    const gatewayCpu = (100 * (cpuMs(gatewayPid) - cpuStart)) / wall;
    const generatorCpu = (100 * (sum((g) => cpuMs(g.child.pid!)) - generatorCpuStart)) / wall;
    const subgraphCpu = (100 * (mesh.subgraphPids.reduce((total, pid) => total + cpuMs(pid), 0) - subgraphCpuStart)) / wall;

    broadcast({ type: 'finish', endSeq: context.nextSeq });
    const results = await Promise.all(generators.map((g) => g.result));
    if (slowWatch) clearInterval(slowWatch);
    await Promise.all(generators.map((g) => new Promise((resolve) => (g.child.exitCode !== null ? resolve(null) : g.child.once('exit', resolve)))));
    const histogram = results.reduce((into, r) => merge(into, r.histogram), createHistogram());
    const closed = results.reduce<Record<string, number>>((into, r) => {
      for (const [code, n] of Object.entries(r.closedByCode)) into[code] = (into[code] ?? 0) + n;
      return into;
    }, {});
    if (Object.keys(closed).length)
      notes.push(
        `closed by the gateway: ${Object.entries(closed)
          .map(([code, n]) => `${n} × ${code}`)
          .join(', ')}`,
      );
    notes.push(describeStages(results, sentAtOf, postMs));
    const along = describeEventHistograms(histogramsStart, await mesh.eventHistograms());
    if (along) notes.push(along);
    const slow = results.find((r) => r.slow)?.slow;
    if (slow) notes.push(describeSlow(slow, slowClosedAt, facts, wall / 1000));

    const delivered = results.reduce((total, r) => total + r.delivered, 0);
    const perCpuSecond = (cpu: number) => Math.round(delivered / (cpu / 1000)).toLocaleString('en');
    notes.push(
      `${perCpuSecond(cpuMs(gatewayPid) - cpuStart)} deliveries per gateway CPU-second, ${perCpuSecond((generatorCpu * wall) / 100)} per load generator CPU-second`,
    );
    await sleep(context.settleS * 1000);
    gone();
    const heapAfter = (await mesh.gatewayHeap()).used;
    if (context.snapshotAfter) notes.push(await heapAfterSnapshot(mesh, gatewayPid, 'after'));
    notes.push(
      `gateway JS heap used idle / connected / ${context.settleS} s after: ${mib(heapIdle)} / ${mib(heapConnected)} / ${mib(heapAfter)} MB (${((heapConnected - heapIdle) / 1024 / Math.max(1, opened)).toFixed(1)} KB per idle client)`,
    );
    return {
      ...scenario,
      facts,
      expected: results.reduce((total, r) => total + r.expected, 0),
      delivered,
      duplicates: results.reduce((total, r) => total + r.duplicates, 0),
      p50: percentile(histogram, 50),
      p99: percentile(histogram, 99),
      gatewayCpu,
      generatorCpu,
      subgraphCpu,
      rssIdle,
      rssPeak,
      rssAfter: rssBytes(gatewayPid),
      idleBytesPerClient: (rssConnected - rssIdle) / Math.max(1, opened),
      marginalBytesPerClient,
      notes,
    };
  } finally {
    clearInterval(sampler);
    for (const { child } of generators) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** When (from /proc/net/tcp) and how (the close frame it finally read) the gateway closed the slow client. */
/** Bytes as whole MiB, as the notes print them. */
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);

/**
 * Makes the gateway write a heap snapshot (which collects garbage first; /metrics answers once it is
 * written) and returns a note of its JS heap and RSS `when` (connected, after).
 */
async function heapAfterSnapshot(mesh: BenchMesh, gatewayPid: number, when: string): Promise<string> {
  process.kill(gatewayPid, 'SIGUSR2');
  await sleep(1000);
  const heap = await mesh.gatewayHeap();
  return `${when}, after a heap snapshot (full garbage collection): JS heap used ${mib(heap.used)} MB of ${mib(heap.total)} MB committed, RSS ${mib(rssBytes(gatewayPid))} MB`;
}

function describeSlow(slow: SlowClientReport, closedAt: number | undefined, facts: number, measuredS: number): string {
  const how = slow.close ? `close ${slow.close.code}${slow.close.reason ? ` "${slow.close.reason}"` : ''}` : 'no close frame';
  const when =
    closedAt === undefined
      ? 'its connection was still open at the end'
      : `the gateway closed it ${closedAt.toFixed(1)} s after measuring began${closedAt > measuredS ? ` (after the ${measuredS.toFixed(0)} s measured)` : ''}`;
  return `slow client (${SLOW_CLIENT_SUBSCRIPTIONS} subscriptions on one socket, so ${(facts * SLOW_CLIENT_SUBSCRIPTIONS).toLocaleString('en')} messages): ${when} (${how}); ${slow.bufferedAfterPause.toLocaleString('en')} messages were in its socket when it read again`;
}

/**
 * Where the latency lies: per fact, the POST /events round trip (the orders subgraph's commit), the
 * latency of the first client to get its event (everything before the fan-out: the subgraph's event, the
 * gateway's rest of plan) and of the last one (the fan-out burst on top: the gateway's writes and the
 * load generators' reads), p50 / p99 over the facts.
 */
function describeStages(results: ReadonlyArray<Extract<FromGenerator, { type: 'result' }>>, sentAtOf: ReadonlyMap<number, number>, postMs: number[]): string {
  const spans = new Map<number, [number, number]>();
  for (const { firstLast } of results) {
    for (const [seq, [first, last]] of firstLast) {
      const span = spans.get(seq);
      if (!span) spans.set(seq, [first, last]);
      else spans.set(seq, [Math.min(span[0], first), Math.max(span[1], last)]);
    }
  }
  const firstMs: number[] = [];
  const lastMs: number[] = [];
  for (const [seq, [first, last]] of spans) {
    const sent = sentAtOf.get(seq);
    if (sent === undefined) continue;
    firstMs.push(first - sent);
    lastMs.push(last - sent);
  }
  const p = (values: number[], q: number) => {
    if (!values.length) return '–';
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)].toFixed(0);
  };
  const both = (values: number[]) => `${p(values, 50)} / ${p(values, 99)} ms`;
  return `stages per fact, p50 / p99: POST /events answered ${both(postMs)}; first client got the event ${both(firstMs)}; last client ${both(lastMs)}`;
}

/**
 * Where each event's latency lies inside the processes, from their histograms' growth over the measured
 * time (as the bucket bounds the p50 and p99 fall in): the orders subgraph from the event's publication to
 * its value, the gateway from the upstream event's arrival to its payload handed over (rest of plan) and to
 * the last client's frame written.
 */
function describeEventHistograms(before: EventHistograms, after: EventHistograms): string | undefined {
  const stage = (name: keyof EventHistograms) => {
    const counts = after[name].map(([le, count], i) => [le, count - (before[name][i]?.[1] ?? 0)] as const);
    const total = counts.at(-1)?.[1] ?? 0;
    if (!total) return undefined;
    const bound = (q: number) => {
      const le = counts.find(([, count]) => count >= q * total)?.[0] ?? Number.POSITIVE_INFINITY;
      return le === Number.POSITIVE_INFINITY ? '> 10 s' : `≤ ${le * 1000} ms`;
    };
    return `p50 ${bound(0.5)}, p99 ${bound(0.99)} (${total} events)`;
  };
  const parts = [
    ['orders subgraph, event published → value computed', stage('subgraphEvent')],
    ['gateway, upstream event arrival → payload handed to clients', stage('gatewayResolve')],
    ["gateway, arrival → last client's frame written", stage('gatewayFanout')],
  ].filter(([, text]) => text !== undefined);
  return parts.length ? `from the processes' histograms: ${parts.map(([name, text]) => `${name}: ${text}`).join('; ')}` : undefined;
}
