import { generateFacts } from '../../simulator/generateFacts.js';
import { runSimulator, type RunSimulatorOptions, type SimulatorHandle } from '../../simulator/runSimulator.js';
import { SIM_DOMAINS } from '../../simulator/simulatedFact.js';
import { SimulatorError } from '../../simulator/SimulatorError.js';
import { deferred, withTimeout } from '../support/asyncWait.js';
import { WAITING_BATCHES } from '../../simulator/seedHistory.js';
import { startFakeMesh, type FakeMesh, type FakeMeshOptions } from './fakeMesh.js';

const now = new Date('2024-06-15T10:30:00Z');
let mesh: FakeMesh | undefined;
let simulator: SimulatorHandle | undefined;
let lines: string[] = [];

afterEach(async () => {
  await simulator?.stop();
  await mesh?.close();
  simulator = mesh = undefined;
  lines = [];
});

/** Starts a fake mesh and a simulator against it, with a fixed clock unless live mode needs a real one. */
async function start(options: Partial<RunSimulatorOptions> = {}, meshOptions: FakeMeshOptions = {}) {
  mesh = await startFakeMesh(meshOptions);
  simulator = runSimulator({
    subgraphs: mesh.subgraphs,
    ratePerSecond: 0,
    clock: () => now,
    retry: { baseDelayMs: 1 },
    log: (line) => lines.push(line),
    ...options,
  });
  return { mesh, simulator };
}

describe('runSimulator seeding', () => {
  it('should post every generated fact exactly once, in order, in batches of at most 5000', async () => {
    const { mesh, simulator } = await start({ seedDays: 30 });
    const report = await simulator.seeded;
    await simulator.done;

    const expected = generateFacts({ from: new Date('2024-05-16T00:00:00Z'), to: now });
    expect(report).toMatchObject({ from: '2024-05-16T00:00:00.000Z', to: now.toISOString() });
    for (const domain of SIM_DOMAINS) {
      expect(mesh.batches[domain].every((batch) => batch.length <= 5000)).toBe(true);
      expect(mesh.facts(domain).map((e) => e.id)).toEqual(expected[domain].map((e) => e.id));
      expect(report.domains[domain]).toMatchObject({
        skipped: false,
        posted: expected[domain].length,
        applied: expected[domain].length,
        duplicates: 0,
        rejected: 0,
      });
    }
    expect(mesh.batches.shipping.length).toBeGreaterThan(1);
    expect(lines.some((l) => /^seeded \d+ facts in [\d.]+ s$/.test(l))).toBe(true);
  });

  it('should keep feeding the other domains while one subgraph is slow to answer, until its queue is full', async () => {
    const release = deferred();
    const { mesh, simulator } = await start({ seedDays: 30, batchSize: 200 }, { holdAnswers: { shipping: release.promise } });
    const expected = generateFacts({ from: new Date('2024-05-16T00:00:00Z'), to: now });
    // Shipping holds one batch in flight and WAITING_BATCHES waiting; the story stops when the next one is full.
    const stopsAt = expected.shipping[(2 + WAITING_BATCHES) * 200 - 1].time;
    const ordersBatches = Math.floor(expected.orders.filter((e) => e.time < stopsAt).length / 200);
    expect(ordersBatches).toBeGreaterThanOrEqual(3);

    await mesh.until(() => mesh.batches.orders.length >= ordersBatches, `${ordersBatches} orders batches while shipping is held`);
    expect(mesh.received.shipping).toBe(1);
    release.resolve();
    const report = await simulator.seeded;

    for (const domain of SIM_DOMAINS) expect(mesh.facts(domain).map((e) => e.id)).toEqual(expected[domain].map((e) => e.id));
    for (const domain of SIM_DOMAINS) expect(report.domains[domain].durationMs).toBeGreaterThan(0);
    expect(Math.max(...SIM_DOMAINS.map((d) => report.domains[d].durationMs))).toBeLessThanOrEqual(report.durationMs);
  });

  it('should not seed again a domain that reports facts but no asOf (nothing to resume from)', async () => {
    const { mesh, simulator } = await start({ seedDays: 2 }, { existingFacts: { catalog: 153 } });
    const report = await simulator.seeded;

    expect(mesh.batches.catalog).toEqual([]);
    expect(report.domains.catalog).toMatchObject({ skipped: true, existingFacts: 153, posted: 0 });
    for (const domain of ['orders', 'inventory', 'shipping'] as const) expect(report.domains[domain].posted).toBeGreaterThan(0);
    expect(lines).toContain('catalog: already holds 153 facts but reports no asOf; history not posted again');
  });

  it('should complete an interrupted seed: the subgraphs end with exactly the facts of one uninterrupted seed', async () => {
    const { mesh, simulator: first } = await start({ seedDays: 30, batchSize: 500 });
    await mesh.until(() => mesh.batches.orders.length >= 2, 'two orders batches');
    await first.stop();
    await expect(first.seeded).rejects.toBeDefined();
    const expected = generateFacts({ from: new Date('2024-05-16T00:00:00Z'), to: now });
    expect(mesh.storedIds('orders').length).toBeLessThan(expected.orders.length);

    simulator = runSimulator({ subgraphs: mesh.subgraphs, seedDays: 30, batchSize: 500, ratePerSecond: 0, clock: () => now, log: (l) => lines.push(l) });
    const report = await simulator.seeded;

    for (const domain of SIM_DOMAINS) expect(mesh.storedIds(domain).sort()).toEqual(expected[domain].map((e) => e.id).sort());
    expect(report.domains.orders.resumedFrom).toEqual(expect.any(String));
    expect(report.domains.orders.posted).toBeLessThan(expected.orders.length);
    expect(lines.some((l) => /^orders: holds \d+ facts up to \S+; posting the story from there on$/.test(l))).toBe(true);
  });

  it('should add nothing when the same slots are posted again, and back-fill only the gap after downtime', async () => {
    const { mesh, simulator: first } = await start({ seedDays: 2 });
    await first.seeded;
    const held = Object.fromEntries(SIM_DOMAINS.map((d) => [d, mesh.storedIds(d).length]));

    // The same clock: the boundary facts go again with the same ids and are dropped.
    const again = runSimulator({ subgraphs: mesh.subgraphs, seedDays: 2, ratePerSecond: 0, clock: () => now, log: (l) => lines.push(l) });
    const repeat = await again.seeded;
    for (const domain of SIM_DOMAINS) {
      expect(mesh.storedIds(domain)).toHaveLength(held[domain]);
      expect(repeat.domains[domain]).toMatchObject({ applied: 0, rejected: 0 });
      expect(repeat.domains[domain].duplicates).toBeGreaterThan(0);
    }

    // Six hours of downtime later: only the gap is posted, and the result is the story up to the new now.
    const later = new Date(now.getTime() + 6 * 3_600_000);
    simulator = runSimulator({ subgraphs: mesh.subgraphs, seedDays: 2, ratePerSecond: 0, clock: () => later, log: (l) => lines.push(l) });
    const backFill = await simulator.seeded;
    const expected = generateFacts({ from: new Date('2024-06-13T00:00:00Z'), to: later });
    for (const domain of SIM_DOMAINS) expect(mesh.storedIds(domain).sort()).toEqual(expected[domain].map((e) => e.id).sort());
    expect(backFill.domains.orders.applied).toBe(expected.orders.length - held.orders);
  });

  it('should print progress lines with the share done, facts posted, rate and ETA', async () => {
    const { simulator } = await start({ seedDays: 10, batchSize: 1000, progressEveryMs: 0 });
    await simulator.seeded;

    const progress = lines.filter((l) => l.startsWith('seeding: '));
    expect(progress.length).toBeGreaterThan(2);
    for (const line of progress) expect(line).toMatch(/^seeding: \d{1,3}% \(story at [\d-]+T[\d:]+Z\), \d+ facts posted, \d+ facts\/s, ETA (\d+ s|\?)$/);
  });

  it('should retry a batch answered with 503 and then deliver it', async () => {
    const mesh = await startFakeMesh();
    mesh.failNext.orders = 2;
    simulator = runSimulator({
      subgraphs: mesh.subgraphs,
      seedDays: 1,
      ratePerSecond: 0,
      clock: () => now,
      retry: { baseDelayMs: 1 },
      log: (line) => lines.push(line),
    });
    const report = await simulator.seeded;

    expect(report.domains.orders.applied).toBe(report.domains.orders.posted);
    expect(lines.filter((l) => l.startsWith('orders: POST /events answered 503'))).toHaveLength(2);
    await mesh.close();
  });

  it('should fail seeding with DOWNSTREAM_SERVICE_ERROR when a subgraph keeps answering 5xx', async () => {
    const { mesh, simulator } = await start({ seedDays: 1, retry: { attempts: 3, baseDelayMs: 1 } });
    mesh.failNext.shipping = 1000;

    const error = await simulator.seeded.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SimulatorError);
    expect(error).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'shipping', status: 503 });
    await withTimeout(simulator.done, 'the simulator to end after failed seeding');
    expect(lines.some((l) => l.startsWith('seeding failed: shipping: POST /events answered 503'))).toBe(true);
  });

  it('should fail seeding with DOWNSTREAM_SERVICE_ERROR when a subgraph is unreachable', async () => {
    const gone = await startFakeMesh();
    await gone.close();
    simulator = runSimulator({
      subgraphs: gone.subgraphs,
      seedDays: 1,
      ratePerSecond: 0,
      clock: () => now,
      retry: { attempts: 2, baseDelayMs: 1 },
      log: (line) => lines.push(line),
    });

    await expect(simulator.seeded).rejects.toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', message: expect.stringContaining('unreachable') });
    expect(lines.some((l) => l.includes('unreachable') && l.includes('retry 1/1'))).toBe(true);
  });

  it('should send the headers of headers() with every request', async () => {
    let calls = 0;
    const { simulator } = await start(
      { seedDays: 1, headers: async () => (calls++, { authorization: 'Bearer producer' }) },
      { requireAuthorization: 'Bearer producer' },
    );
    const report = await simulator.seeded;

    for (const domain of SIM_DOMAINS) expect(report.domains[domain]).toMatchObject({ rejected: 0, applied: report.domains[domain].posted });
    expect(calls).toBe(4 + SIM_DOMAINS.reduce((sum, d) => sum + report.domains[d].batches, 0)); // descriptors + batches
  });

  it('should fail seeding with EVENTS_REFUSED at once when the subgraph refuses the producer', async () => {
    const { simulator } = await start({ seedDays: 1 }, { requireAuthorization: 'Bearer producer' });

    await expect(simulator.seeded).rejects.toMatchObject({
      code: 'EVENTS_REFUSED',
      status: 401,
      message: expect.stringContaining('a producer token is required'),
    });
    expect(lines.some((l) => l.includes('retry'))).toBe(false);
  });

  it('should log the first rejection reason of a batch and go on', async () => {
    const { simulator } = await start({ seedDays: 1 }, { rejectTypes: { orders: ['OrderCancelled'] } });
    const report = await simulator.seeded;

    expect(report.domains.orders.rejected).toBeGreaterThan(0);
    expect(report.domains.orders.applied + report.domains.orders.rejected).toBe(report.domains.orders.posted);
    expect(lines.some((l) => /^orders: batch 1 \(\d+ facts\) answered 207: \d+ rejected; first: data: OrderCancelled refused/.test(l))).toBe(true);
  });

  it('should reject seeded and end when stopped during seeding', async () => {
    const { simulator } = await start({ seedDays: 30 });
    await simulator.stop();

    await expect(simulator.seeded).rejects.toBeDefined();
    expect(lines).toContain('seeding stopped before it finished');
  });
});

describe('runSimulator live mode', () => {
  const isLive = (id: string) => !/^sim-42-\d{10}-/.test(id);
  const liveOrders = (mesh: FakeMesh) => mesh.facts('orders').filter((e) => e.type === 'OrderPlaced' && isLive(e.id));
  const liveSales = (mesh: FakeMesh) => mesh.facts('inventory').filter((e) => e.data.reason === 'sold' && isLive(e.id));

  it('should post new orders with their stock movements at a high rate and stop cleanly', async () => {
    const { mesh, simulator } = await start({ seedDays: 0, ratePerSecond: 500, clock: () => new Date() });
    const report = await simulator.seeded;
    await mesh.until(() => liveOrders(mesh).length >= 20 && liveSales(mesh).length >= 20, '20 live orders and sales');
    await simulator.stop();

    const orders = liveOrders(mesh);
    expect(new Set(orders.map((e) => e.id)).size).toBe(orders.length);
    expect(orders.every((e) => /^sim-42-live[0-9a-z]+-orders-\d+$/.test(e.id) && e.time >= report.to)).toBe(true);
    expect(orders.every((e) => /^ord-live[0-9a-z]+-\d{6}$/.test(String(e.data.orderId)))).toBe(true);
    expect(lines.some((l) => /^live: stopped after \d+ orders$/.test(l))).toBe(true);
    await withTimeout(simulator.stop(), 'a second stop() to resolve'); // idempotent
  });

  it('should stop when its signal aborts', async () => {
    const controller = new AbortController();
    const { mesh, simulator } = await start({ seedDays: 0, ratePerSecond: 200, clock: () => new Date(), signal: controller.signal });
    await mesh.until(() => liveOrders(mesh).length >= 3, '3 live orders');
    controller.abort();

    await withTimeout(simulator.done, 'the simulator to stop on abort');
    expect(lines.some((l) => l.startsWith('live: stopped after'))).toBe(true);
  });

  it('should keep live facts while a subgraph fails and deliver them once it answers again', async () => {
    const { mesh, simulator } = await start({ seedDays: 0, ratePerSecond: 200, clock: () => new Date() });
    await simulator.seeded;
    mesh.failNext.orders = 1;
    await mesh.until(() => lines.some((l) => l.startsWith('orders: reachable again')) && liveOrders(mesh).length >= 5, 'orders to recover');

    const ordinals = liveOrders(mesh).map((e) => Number(e.id.split('-').pop()));
    expect(ordinals).toEqual(ordinals.map((_, i) => i + 1)); // nothing lost, nothing doubled, in order
    expect(lines.some((l) => l.startsWith('orders: live post failed (orders: POST /events answered 503'))).toBe(true);
  });
});
