/**
 * The repair path through the real admin route of a subgraph started as production starts it (producer
 * and admin tokens verified against the dev key set): a wrong fact that passed validation is retracted,
 * and history at every grain is then exactly what the good facts alone give.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signDevToken } from '../../scripts/devToken.js';
import { parseRepairArgs } from '../../scripts/repairCommand.js';
import type { Granularity } from '../../subgraphs/kit/history/timeBuckets.js';
import { startSubgraph, type RunningSubgraph } from '../../subgraphs/startSubgraph.js';
import { withTimeout } from '../support/asyncWait.js';
import { TEST_GATEWAY_SECRET, TEST_PRODUCERS } from '../support/startAuthMesh.js';
import { testSubgraphConfig } from '../support/testSubgraphConfig.js';
import { buildEntryPoints } from '../support/useCompiledEntryPoints.js';
import { orderPlaced, type CloudEventJson } from './cloudEvents.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** An hour in the recent past (every fact within the lateness window, none in the future), two hours before midnight at least. */
const LATEST = Math.floor((Date.now() - 3 * HOUR) / HOUR) * HOUR;
const HOUR0 = LATEST % DAY >= 22 * HOUR ? LATEST - 3 * HOUR : LATEST;
const DAY0 = Math.floor(HOUR0 / DAY) * DAY;

const exportDir = mkdtempSync(path.join(os.tmpdir(), 'mesh-repair-'));
let orders: RunningSubgraph;
let base: string;

/** Starts the orders subgraph, secured as in production, before each test of the calling describe. */
function useOrdersSubgraph(): void {
  beforeEach(async () => {
    orders = await startSubgraph(testSubgraphConfig('orders', exportDir, { auth: { gatewaySecret: TEST_GATEWAY_SECRET, producers: TEST_PRODUCERS } }));
    base = orders.served.url.replace(/\/graphql$/, '');
  });
  afterEach(async () => {
    await orders.close();
  });
}

afterAll(() => rmSync(exportDir, { recursive: true, force: true }));

const token = (...scopes: string[]) => signDevToken({ scopes, ttlSeconds: 300, sub: 'operator' });

async function post(route: string, body: unknown, bearer?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) };
  const response = await fetch(`${base}${route}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

/** The descriptor's `factCount`, as the catalog reads it. */
async function factCount(): Promise<number> {
  return ((await (await fetch(`${base}/descriptor`)).json()) as { factCount: number }).factCount;
}

/** Good orders over two hours (three in the bad fact's minute), whole-cent prices. */
const good: CloudEventJson[] = [0, 0, 0, 7, 25, 61, 62, 119].map((minute, i) =>
  orderPlaced(new Date(HOUR0 + minute * MINUTE + i * 1000), { quantity: 1 + (i % 3), unitPrice: 10 + i, region: i % 2 ? 'us' : 'eu' }),
);
/** Passes validation, but its price was keyed in cents instead of euros. */
const bad = orderPlaced(new Date(HOUR0 + 20_000), { quantity: 40, unitPrice: 2500, region: 'eu' });

const totalOf = (events: CloudEventJson[]) => ({
  orders: events.length,
  units: events.reduce((sum, e) => sum + Number(e.data.quantity), 0),
  revenue: events.reduce((sum, e) => sum + Number(e.data.quantity) * Number(e.data.unitPrice), 0),
});

/** Totals of the day and of the bad fact's minute, hour and day bucket, read at one granularity. */
async function history(granularity: Granularity) {
  const result = await orders.runtime.history('sales', { range: { from: new Date(DAY0), to: new Date(DAY0 + DAY) }, granularity });
  const pick = ({ orders: o, units, revenue }: Record<string, number | null>) => ({ orders: o, units, revenue: Math.round(revenue! * 100) / 100 });
  const containing = result.buckets.find((b) => b.start.getTime() <= HOUR0 && HOUR0 < b.end.getTime())!;
  return { total: pick(result.total), bucket: pick(containing.values) };
}

async function everyGrain() {
  return { minute: await history('MINUTE'), hour: await history('HOUR'), day: await history('DAY') };
}

const expected = (total: ReturnType<typeof totalOf>, minute: ReturnType<typeof totalOf>, hour: ReturnType<typeof totalOf>) => ({
  minute: { total, bucket: minute },
  hour: { total, bucket: hour },
  day: { total, bucket: total },
});
const inMinute = (events: CloudEventJson[]) => events.filter((e) => Date.parse(e.time) < HOUR0 + MINUTE);
const inHour = (events: CloudEventJson[]) => events.filter((e) => Date.parse(e.time) < HOUR0 + HOUR);

describe('the admin routes', () => {
  useOrdersSubgraph();

  it('should retract a wrong fact through the admin route: history at minute, hour and day is exactly the good facts', async () => {
    const writer = await token('orders:write');
    expect((await post('/events', [...good.slice(0, 4), bad, ...good.slice(4)], writer)).body).toMatchObject({ applied: 9, rejected: 0 });
    const all = [...good, bad];
    expect(await everyGrain()).toEqual(expected(totalOf(all), totalOf(inMinute(all)), totalOf(inHour(all))));
    expect(await factCount()).toBe(9);

    const updates = orders.runtime.bucketUpdates('sales');
    const revision = updates.next();
    const retracted = await post('/admin/retract', { source: bad.source, id: bad.id, reason: 'unitPrice keyed in cents' }, await token('orders:admin'));

    expect(retracted).toEqual({
      status: 200,
      body: {
        status: 'retracted',
        fact: { source: bad.source, id: bad.id, type: 'OrderPlaced', time: bad.time },
        retraction: { source: bad.source, id: bad.id, reason: 'unitPrice keyed in cents', retractedAt: expect.any(String) },
        revisedBuckets: 1,
        states: [{ state: 'order', key: bad.data.orderId, deleted: true }],
      },
    });
    expect(await everyGrain()).toEqual(expected(totalOf(good), totalOf(inMinute(good)), totalOf(inHour(good))));
    // The catalog counts the facts the product holds: the retracted one is kept for audit, not held.
    expect(await factCount()).toBe(8);
    // Live dashboards hear about the corrected minute as they hear about a late fact.
    const { value: event } = await withTimeout(revision, 'the revision event');
    expect(event.data).toEqual({
      rollup: 'sales',
      bucket: new Date(HOUR0).toISOString(),
      dims: { product_id: 'p1', region: 'eu', channel: 'web' },
      revision: true,
    });
    await updates.return?.();

    // Posting it again is a duplicate, not a second chance; a rebuild keeps the repaired rollups.
    expect((await post('/events', bad, writer)).body).toMatchObject({ applied: 0, duplicates: 1 });
    const rebuilt = await post('/admin/rebuild', { from: new Date(DAY0).toISOString(), to: new Date(DAY0 + DAY).toISOString() }, await token('orders:admin'));
    // The range is narrowed to the hours holding facts.
    expect(rebuilt).toEqual({
      status: 200,
      body: { status: 'rebuilt', from: new Date(HOUR0).toISOString(), to: new Date(HOUR0 + 2 * HOUR).toISOString(), batches: 1, facts: 8, revised: 0 },
    });
    expect(await everyGrain()).toEqual(expected(totalOf(good), totalOf(inMinute(good)), totalOf(inHour(good))));

    const listed = await fetch(`${base}/admin/retractions`, { headers: { authorization: `Bearer ${await token('orders:admin')}` } });
    expect(((await listed.json()) as { retractions: unknown }).retractions).toEqual([retracted.body.retraction]);
  });

  it('should list rejected events with their reasons at GET /admin/dead-letters, for orders:admin only', async () => {
    const rejected = { ...bad, id: `dead-${bad.id}`, data: { ...bad.data, quantity: -1 } };
    expect((await post('/events', [rejected], await token('orders:write'))).status).toBeLessThan(500);
    const read = async (bearer: string, query = '') => {
      const response = await fetch(`${base}/admin/dead-letters${query}`, { headers: { authorization: `Bearer ${bearer}` } });
      return { status: response.status, body: (await response.json()) as any };
    };
    const listed = await read(await token('orders:admin'), '?limit=10');
    expect(listed.status).toBe(200);
    expect(listed.body.deadLetters).toEqual([
      expect.objectContaining({ source: rejected.source, id: rejected.id, type: rejected.type, reason: expect.any(String) }),
    ]);
    expect((await read(await token('orders:write'))).status).toBe(403);
    expect((await read(await token('orders:admin'), '?limit=0')).body).toMatchObject({ error: { code: 'BAD_USER_INPUT' } });
  });

  it('should refuse a caller without the orders:admin scope, and bad requests with a coded 4xx', async () => {
    await post('/events', [...good, bad], await token('orders:write'));
    const body = { source: bad.source, id: bad.id, reason: 'typo' };
    expect(await post('/admin/retract', body)).toEqual({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('token is required') } },
    });
    for (const scopes of [['orders:write'], ['inventory:admin'], ['orders:read', 'admin']]) {
      expect(await post('/admin/retract', body, await token(...scopes))).toEqual({
        status: 403,
        body: { error: { code: 'FORBIDDEN', message: expect.stringContaining('orders:admin') } },
      });
    }
    expect((await post('/admin/rebuild', {}, await token('orders:write'))).status).toBe(403);
    expect((await post('/admin/retract', body, 'not.a.token')).status).toBe(401);
    expect((await history('DAY')).total).toEqual(totalOf([...good, bad]));

    const admin = await token('orders:admin');
    expect(await post('/admin/retract', { ...body, id: 'nope' }, admin)).toMatchObject({ status: 404, body: { error: { code: 'FACT_NOT_FOUND' } } });
    expect(await post('/admin/retract', { source: bad.source, id: bad.id }, admin)).toMatchObject({
      status: 400,
      body: { error: { code: 'BAD_USER_INPUT', message: 'reason must be a non-empty string' } },
    });
    expect(await post('/admin/retract', '{"source":', admin)).toMatchObject({ status: 400, body: { error: { message: 'the body is not JSON' } } });
    expect(await post('/admin/rebuild', { from: 'yesterday' }, admin)).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_INPUT' } } });
    expect(await post('/admin/rebuild', { from: new Date(DAY0 + DAY).toISOString(), to: new Date(DAY0).toISOString() }, admin)).toMatchObject({ status: 400 });
    expect(await post('/admin/restore', { source: bad.source, id: bad.id }, admin)).toMatchObject({
      status: 200,
      body: { status: 'not-retracted', revisedBuckets: 0 },
    });
  });
});

describe('npm run repair', () => {
  useOrdersSubgraph();
  // Compiled, as `npm run repair` and `npm run rebuild` run them (the build is a no-op when up to date).
  beforeAll(buildEntryPoints, 250_000);

  const run = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['dist/scripts/repair.js', ...args], { env: { ...process.env, MESH_ADMIN_TOKEN: '' } }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('should retract through the running subgraph with a dev admin token, and exit 1 when refused', async () => {
    await post('/events', [...good, bad], await token('orders:write'));
    const retracted = await run('orders', 'retract', bad.source, bad.id, '--reason', 'price in cents', '--url', base);
    expect(retracted).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(retracted.stdout)).toMatchObject({ status: 'retracted', retraction: { reason: 'price in cents' } });
    expect((await history('DAY')).total).toEqual(totalOf(good));

    const refused = await run('orders', 'rebuild', '--url', base, '--token', await token('orders:write'));
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('should rebuild one rollup through `npm run rebuild`, and refuse an unknown rollup', async () => {
    await post('/events', good, await token('orders:write'));
    const rebuild = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        execFile(
          process.execPath,
          ['dist/scripts/rebuild.js', 'orders', ...args, '--url', base],
          { env: { ...process.env, MESH_ADMIN_TOKEN: '' } },
          (error, stdout) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout }),
        );
      });

    const rebuilt = await rebuild('--rollup', 'sales');
    expect(rebuilt.code).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ status: 'rebuilt', facts: good.length, revised: 0 });
    expect((await history('DAY')).total).toEqual(totalOf(good));

    const unknown = await rebuild('--rollup', 'nope');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'BAD_USER_INPUT', message: expect.stringContaining('unknown rollup "nope"') } });
  });
});

describe('parseRepairArgs', () => {
  it.each([
    [['orders', 'retract', 's', 'i', '--reason', 'why'], { method: 'POST', path: '/admin/retract', body: { source: 's', id: 'i', reason: 'why' } }],
    [['orders', 'restore', 's', 'i', '--url=http://h:1'], { method: 'POST', path: '/admin/restore', body: { source: 's', id: 'i' }, url: 'http://h:1' }],
    [['orders', 'rebuild', '--from', '2024-05-01T00:00:00Z'], { method: 'POST', path: '/admin/rebuild', body: { from: '2024-05-01T00:00:00Z' } }],
    [['orders', 'rebuild', '--rollup', 'sales'], { method: 'POST', path: '/admin/rebuild', body: { rollup: 'sales' } }],
    [['orders', 'retractions', '--limit', '5'], { method: 'GET', path: '/admin/retractions?limit=5' }],
  ])('should turn %j into a request', (argv, request) => {
    expect(parseRepairArgs(argv)).toMatchObject({ domain: 'orders', ...request });
  });

  it.each([
    [['orders', 'retract', 's', 'i'], /needs --reason/],
    [['orders', 'retract', 's', '--reason', 'x'], /takes <source> <id>/],
    [['orders', 'rebuild', '--from', 'yesterday'], /RFC 3339/],
    [['orders', 'rebuild', '--reason', 'x'], /does not apply/],
    [['orders', 'purge'], /unknown command/],
    [['Orders!', 'rebuild'], /name the domain/],
  ])('should refuse %j with the usage', (argv, message) => {
    expect(() => parseRepairArgs(argv)).toThrow(message);
    expect(() => parseRepairArgs(argv)).toThrow(/usage: npm run -s repair/);
  });
});
