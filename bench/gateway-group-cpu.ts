/**
 * Benchmark: the gateway's CPU per client per event on the subscription path (issue #9, item 2). The
 * gateway's subscription side (the executor behind the graphql-ws adapter, as `startGateway` wires it,
 * without auth) runs in a child process so its CPU is measured apart; the three small test subgraphs
 * (prices owns `priceChanged`, products and inventory answer the entity fetches) and `BENCH_CLIENTS`
 * graphql-ws clients (default 500, one socket each) run in this process. Every client subscribes to
 * `priceChanged(id: "p1") { price product { name stock } }`, each under its own operation name when
 * `BENCH_NAMES=distinct` (the default) or all under one name (`BENCH_NAMES=same`); then `BENCH_EVENTS`
 * events (default 20) are published one at a time, each waiting until every client has it. Prints the
 * gateway CPU per event and per delivery, the upstream subscriptions and the entity fetches.
 *
 *   npx tsx bench/gateway-group-cpu.ts      (BENCH_CLIENTS=500 BENCH_EVENTS=20 BENCH_NAMES=distinct|same)
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 500);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20);
const DISTINCT = (process.env.BENCH_NAMES ?? 'distinct') === 'distinct';

type Endpoints = { products: string; inventory: string; prices: string; pricesWs: string; supergraphSdl: string };
type Request = { kind: 'cpu' } | { kind: 'stats' };

if (process.argv[2] === 'serve') await serve();
else await main();

/** The child: the subscription executor behind the websocket adapter. */
async function serve(): Promise<void> {
  const endpoints = await new Promise<Endpoints>((resolve) => process.once('message', (m) => resolve(m as Endpoints)));
  const { createSubscriptionExecutor } = await import('../gateway/subscriptions/index.js');
  const { useGraphqlWs } = await import('../gateway/http/useGraphqlWs.js');
  const { parseSupergraph } = await import('../core/apollo/index.js');
  const executor = createSubscriptionExecutor({
    supergraphSdl: endpoints.supergraphSdl,
    subgraphs: {
      products: { url: endpoints.products },
      inventory: { url: endpoints.inventory },
      prices: { url: endpoints.prices, wsUrl: endpoints.pricesWs },
    },
  });
  const apiSchema = parseSupergraph(endpoints.supergraphSdl).apiSchema;
  const server = http.createServer();
  useGraphqlWs({ server, path: '/graphql', schema: () => apiSchema, subscriptions: () => executor, executeOperation: async () => ({}) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', (request: Request) => {
    if (request.kind === 'cpu') process.send!({ cpu: process.cpuUsage() });
    else process.send!({ stats: executor.stats() });
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ port: (server.address() as AddressInfo).port });
}

function ask<T>(child: ChildProcess, request: Request): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (answer) => resolve(answer as T));
    child.send(request);
  });
}

async function main(): Promise<void> {
  const { startProductMesh } = await import('../test/support/productMeshSubgraphs.js');
  const mesh = await startProductMesh();
  const child = fork(fileURLToPath(import.meta.url), ['serve'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send({
    products: mesh.servers.products.url,
    inventory: mesh.servers.inventory.url,
    prices: mesh.servers.prices.url,
    pricesWs: mesh.servers.prices.wsUrl,
    supergraphSdl: mesh.supergraphSdl,
  } satisfies Endpoints);
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));

  const received = new Map<number, number>();
  let waiter: { price: number; resolve: () => void } | undefined;
  const clients: Client[] = [];
  const subscribed = async (count: number) => {
    for (;;) {
      const { stats } = await ask<{ stats: { clients: number; upstreams: number } }>(child, { kind: 'stats' });
      if (stats.clients === count && mesh.feed.active === stats.upstreams) return stats;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  for (let i = 0; i < CLIENTS; i++) {
    // In batches, so a gateway busy planning does not time out the others' connection_init (4408).
    if (i > 0 && i % 50 === 0) await subscribed(i);
    const client = createClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    clients.push(client);
    const name = DISTINCT ? `Dashboard${i}` : 'Dashboard';
    client.subscribe<{ priceChanged: { price: number } }>(
      { query: `subscription ${name} { priceChanged(id: "p1") { price product { name stock } } }` },
      {
        next: ({ data }) => {
          const price = data!.priceChanged.price;
          const count = (received.get(price) ?? 0) + 1;
          received.set(price, count);
          if (waiter?.price === price && count === CLIENTS) waiter.resolve();
        },
        error: (error) => console.error('subscription error', error),
        complete: () => {},
      },
    );
  }
  const stats = await subscribed(CLIENTS);
  // One warm-up event, then the measured ones.
  const deliver = (price: number) =>
    new Promise<void>((resolve) => {
      waiter = { price, resolve };
      mesh.feed.publish({ productId: 'p1', price });
    });
  await deliver(0);
  const batchesBefore = mesh.inventoryLog.batches.length;
  const { cpu: before } = await ask<{ cpu: NodeJS.CpuUsage }>(child, { kind: 'cpu' });
  const started = performance.now();
  for (let price = 1; price <= EVENTS; price++) await deliver(price);
  const elapsed = performance.now() - started;
  const { cpu: after } = await ask<{ cpu: NodeJS.CpuUsage }>(child, { kind: 'cpu' });
  const cpuMs = (after.user - before.user + after.system - before.system) / 1000;

  console.log(
    JSON.stringify({
      clients: CLIENTS,
      events: EVENTS,
      names: DISTINCT ? 'distinct' : 'same',
      upstreamSubscriptions: stats.upstreams,
      inventoryFetchesPerEvent: (mesh.inventoryLog.batches.length - batchesBefore) / EVENTS,
      gatewayCpuMsPerEvent: +(cpuMs / EVENTS).toFixed(2),
      gatewayCpuUsPerDelivery: +((cpuMs * 1000) / (EVENTS * CLIENTS)).toFixed(1),
      wallMsPerEvent: +(elapsed / EVENTS).toFixed(1),
    }),
  );
  await Promise.all(clients.map(async (client) => client.dispose()));
  child.disconnect();
  await mesh.close();
}
