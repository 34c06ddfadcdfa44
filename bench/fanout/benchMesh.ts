/**
 * The mesh under test for the fan-out benchmark: the four demo subgraphs (in-memory store and bus) and
 * the gateway, each as compiled JS (`dist/`) in a process of its own on loopback ports picked by the OS,
 * with the gateway's default (development) auth. Catalog and inventory are seeded with the products the
 * facts rotate over, so every event's `product { name stock { onHand } }` is filled.
 *
 * The pieces run as `npm start` runs them (scripts/start.ts): the subgraphs with its all-in-one defaults
 * (one DuckDB thread each), the gateway with its node flags and its allocator (jemalloc when the machine
 * has it, `MESH_GATEWAY_ALLOCATOR`), so the figures are those of the mesh a user starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { allInOneDefaults } from '../../scripts/allInOneDefaults.js';
import { devProducerHeaders } from '../../scripts/devToken.js';
import { gatewayAllocatorEnv } from '../../scripts/gatewayAllocator.js';
import { GATEWAY_NODE_FLAGS } from '../../scripts/gatewayNodeFlags.js';
import { DOMAIN_NAMES, type DomainName } from '../../subgraphs/domains.js';
import { minuteOf, PRODUCTS, productIdOf, productNameOf } from './protocol.js';

export interface BenchMesh {
  gateway: { pid: number; port: number; url: string; wsUrl: string };
  /**
   * How the gateway process ended, with its last lines of output, once it has; `undefined` while it
   * runs. A gateway that dies mid-scenario must end the run with this, not with a /proc read failing.
   */
  gatewayExit(): string | undefined;
  /** Process ids of the four subgraphs. */
  subgraphPids: number[];
  /**
   * Posts facts `seqs` (orders, each in a bucket of its own, see `protocol.ts`) to orders `POST /events`
   * in one request; rejects unless every one was applied.
   */
  postOrders(seqs: readonly number[], baseMinute: number): Promise<void>;
  /**
   * The gateway's JS heap in use and committed (`nodejs_heap_size_used_bytes`, `…_total_bytes` on its
   * `/metrics`), and the committed size of V8's young generation (`nodejs_heap_space_size_total_bytes`
   * of space `new`), NaN if unreadable.
   */
  gatewayHeap(): Promise<{ used: number; total: number; youngGeneration: number }>;
  /**
   * The latency histograms along an event's way, as cumulative `[le, count]` buckets (empty if unreadable):
   * the orders subgraph's `mesh_data_product_change_event_delay_seconds` (publication to value computed),
   * the gateway's `mesh_gateway_subscription_event_resolve_seconds` (arrival to payload handed over) and
   * `mesh_gateway_subscription_fanout_seconds` (arrival to the last client's frame written).
   */
  eventHistograms(): Promise<EventHistograms>;
  close(): Promise<void>;
}

/** Cumulative `[le, count]` buckets of a Prometheus histogram. */
export type Buckets = Array<[number, number]>;

/** See `BenchMesh.eventHistograms`. */
export interface EventHistograms {
  subgraphEvent: Buckets;
  gatewayResolve: Buckets;
  gatewayFanout: Buckets;
}

interface Started {
  child: ChildProcess;
  match: RegExpExecArray;
  /** The child's last lines of output, kept up to date while it runs. */
  tail: string[];
}

/** Keeps the last lines of a child's output for an error message; prints nothing while it runs. */
function launch(
  name: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  timeoutMs = 60_000,
  nodeArgs: string[] = [],
): Promise<Started> {
  const entry = path.resolve('dist/scripts', `${script}.js`);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (npm run build; npm run bench:fanout does it)`);
  const child = spawn(process.execPath, [...nodeArgs, entry, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready within ${timeoutMs / 1000} s:\n${tail.join('\n')}`)), timeoutMs);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 30) tail.shift();
        const match = ready.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve({ child, match, tail });
        }
      });
    }
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? `code ${code}`}):\n${tail.join('\n')}`));
    });
  });
}

/**
 * @param gatewayNodeArgs node flags for the gateway process alone (e.g. `--cpu-prof`, to profile it).
 * @param subgraphNodeArgs node flags for each subgraph process.
 */
export async function startBenchMesh(gatewayNodeArgs: string[] = [], subgraphNodeArgs: string[] = []): Promise<BenchMesh> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-fanout-'));
  const children: ChildProcess[] = [];
  const headers = devProducerHeaders(DOMAIN_NAMES);
  let producer: Pool | undefined;
  const close = async () => {
    await producer?.close();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 8000).unref();
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const urls = {} as Record<DomainName, string>;
    await Promise.all(
      DOMAIN_NAMES.map(async (domain) => {
        const { child, match } = await launch(
          domain,
          'subgraph',
          [domain],
          {
            ...allInOneDefaults(process.env),
            MESH_STORE: 'memory',
            MESH_BUS: 'memory',
            [`${domain.toUpperCase()}_PORT`]: '0',
            MESH_DATA_DIR: dir,
            MESH_EXPORT_DIR: dir,
            MESH_EXPORT_INTERVAL_MINUTES: '0',
          },
          /subgraph ready at (\S+)/,
          60_000,
          subgraphNodeArgs,
        );
        children.push(child);
        urls[domain] = match[1];
      }),
    );
    const post = async (domain: DomainName, facts: unknown[]) => {
      const response = await fetch(urls[domain].replace(/\/graphql$/, '/events'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await headers()) },
        body: JSON.stringify(facts),
      });
      const body = (await response.json()) as { applied?: number; rejected?: number };
      if (response.status !== 200 || body.rejected) throw new Error(`POST /events to ${domain} answered ${response.status}: ${JSON.stringify(body)}`);
    };
    const listed = new Date(Date.now() - 8 * 86_400_000).toISOString();
    const seedTime = new Date(Date.now() - 86_400_000).toISOString();
    const fact = (domain: string, type: string, i: number, time: string, data: Record<string, unknown>) => ({
      specversion: '1.0',
      id: `fanout-seed-${domain}-${i}`,
      source: 'urn:bench:fanout',
      type,
      time,
      data,
    });
    const products = Array.from({ length: PRODUCTS }, (_, i) => i);
    await post(
      'catalog',
      products.map((i) => fact('catalog', 'ProductListed', i, listed, { productId: productIdOf(i), name: productNameOf(i), category: 'bench', price: 10 })),
    );
    await post(
      'inventory',
      products.map((i) => fact('inventory', 'StockCounted', i, seedTime, { productId: productIdOf(i), warehouse: 'w1', onHand: 100 + i })),
    );

    const gateway = await launch(
      'gateway',
      'gateway',
      [],
      {
        GATEWAY_HOST: '127.0.0.1',
        GATEWAY_PORT: '0',
        MESH_SUBGRAPHS: DOMAIN_NAMES.map((d) => `${d}=${urls[d]}`).join(','),
        MESH_LANDING_PAGE: 'false',
        // The slow scenario's client runs 200 subscriptions on one socket (loadGenerator.ts).
        MESH_LIMIT_MAX_SUBSCRIPTIONS_PER_SOCKET: '200',
        METADATA_SERVER_DETECTION: 'none',
        ...gatewayAllocatorEnv(process.env),
      },
      /gateway ready at (\S+) \(websocket (\S+)\)/,
      120_000,
      [...GATEWAY_NODE_FLAGS, ...gatewayNodeArgs],
    );
    children.push(gateway.child);
    const [, url, wsUrl] = gateway.match;
    for (const deadline = Date.now() + 60_000; ;) {
      const ready = await fetch(url.replace(/\/graphql$/, '/ready')).catch(() => null);
      if (ready?.status === 200) break;
      if (Date.now() > deadline) throw new Error('the gateway did not become ready within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const ordersEvents = new URL(urls.orders.replace(/\/graphql$/, '/events'));
    const ordersEventsPath = ordersEvents.pathname;
    // As many sockets as runScenario.ts keeps POSTs in flight (16).
    producer = new Pool(ordersEvents.origin, { connections: 16 });
    const metricsText = async () => {
      // A keep-alive socket the gateway dropped while it was blocked (writing a heap snapshot) fails the
      // first fetch: that read used to give NaN. Ask again on a failed or incomplete answer.
      let text = '';
      for (let attempt = 0; attempt < 3 && !/^nodejs_heap_size_used_bytes /m.test(text); attempt++) {
        text = await fetch(url.replace(/\/graphql$/, '/metrics'), { signal: AbortSignal.timeout(120_000) })
          .then((response) => response.text())
          .catch(() => '');
      }
      return text;
    };
    return {
      gateway: { pid: gateway.child.pid!, port: Number(new URL(url).port), url, wsUrl },
      gatewayExit: () => {
        const { exitCode, signalCode } = gateway.child;
        if (exitCode === null && signalCode === null) return undefined;
        return `exited (${signalCode ?? `code ${exitCode}`}); its last output:\n${gateway.tail.join('\n')}`;
      },
      subgraphPids: children.filter((child) => child !== gateway.child).map((child) => child.pid!),
      async eventHistograms() {
        const [gateway, orders] = await Promise.all([
          metricsText(),
          fetch(urls.orders.replace(/\/graphql$/, '/metrics'))
            .then((response) => response.text())
            .catch(() => ''),
        ]);
        // Labels in any order; `label` (e.g. `product="orders"`) must be among them when given.
        const buckets = (text: string, name: string, label?: string): Buckets =>
          [...text.matchAll(new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)$`, 'gm'))]
            .filter(([, labels]) => label === undefined || labels.split(',').includes(label))
            .map(([, labels, count]) => {
              const le = /le="([^"]+)"/.exec(labels)?.[1] ?? '+Inf';
              return [le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), Number(count)] as [number, number];
            });
        return {
          subgraphEvent: buckets(orders, 'mesh_data_product_change_event_delay_seconds', 'product="orders"'),
          gatewayResolve: buckets(gateway, 'mesh_gateway_subscription_event_resolve_seconds'),
          gatewayFanout: buckets(gateway, 'mesh_gateway_subscription_fanout_seconds'),
        };
      },
      async gatewayHeap() {
        const text = await metricsText();
        const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
        const young = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)$/m.exec(text)?.[1];
        return { used: read('nodejs_heap_size_used_bytes'), total: read('nodejs_heap_size_total_bytes'), youngGeneration: Number(young ?? NaN) };
      },
      async postOrders(seqs, baseMinute) {
        const facts = seqs.map((seq) => ({
          specversion: '1.0',
          id: `fanout-${baseMinute}-${seq}`,
          source: 'urn:bench:fanout',
          type: 'OrderPlaced',
          time: new Date(minuteOf(baseMinute, seq) + 1_000).toISOString(),
          data: {
            orderId: `fanout-${baseMinute}-${seq}`,
            productId: productIdOf(seq % PRODUCTS),
            quantity: 1,
            unitPrice: 10,
            region: 'eu',
            channel: 'web',
            customerEmail: 'fanout@example.com',
          },
        }));
        // undici's request on a keep-alive pool rather than fetch: this process is the facts' producer, and
        // fetch's WHATWG layers cost it CPU the mesh it measures shares on a 2-core machine.
        const response = await producer!.request({
          path: ordersEventsPath,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(await headers()) },
          body: JSON.stringify(facts),
        });
        const answer = (await response.body.json()) as { applied?: number };
        if (answer.applied !== seqs.length) throw new Error(`facts ${seqs.join(', ')} not all applied (${response.statusCode}): ${JSON.stringify(answer)}`);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
