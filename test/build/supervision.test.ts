/**
 * Process behaviour of the compiled entry points (issue #12): `npm start` keeps serving when a piece is
 * killed and brings it back, SIGTERM stops everything fast with code 0 (embedded, PostgreSQL and NATS),
 * and a port in use is one line naming the port setting.
 */
import { DOMAIN_NAMES } from '../../subgraphs/domains.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { POSTGRES_TEST_URL, postgresAvailable } from '../support/postgresAvailable.js';
import { natsReachable, natsUrl } from '../support/natsAvailable.js';
import { dropScaleOutDomain } from '../support/startReplicaMesh.js';
import { uniqueNamespace } from '../support/testNamespace.js';
import { signDevToken } from '../../scripts/devToken.js';
import { childrenOf, freePort, holdPort, isAlive, PROJECT_ROOT, type LaunchedProcess } from '../support/launchedProcess.js';
import { useCompiledEntryPoints } from '../support/useCompiledEntryPoints.js';

const DOMAINS = ['catalog', 'orders', 'inventory', 'shipping'] as const;
const STOCK = `{ products(first: 2) { edges { node { id stock { onHand } } } } }`;
const launch = useCompiledEntryPoints('mesh-supervision-');

/** Free ports for the gateway and every subgraph, as the settings `npm start` reads. */
async function meshPorts(): Promise<Record<string, string>> {
  const names = ['GATEWAY_PORT', ...DOMAINS.map((d) => `${d.toUpperCase()}_PORT`)];
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, String(await freePort())] as const)));
}

async function query(port: string, text: string): Promise<{ status: number; body: { data?: any; errors?: Array<{ extensions?: Record<string, unknown> }> } }> {
  const token = await signDevToken({ scopes: [], ttlSeconds: 300, privateJwksFile: path.join(PROJECT_ROOT, 'config/dev-jwks.private.json') });
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: text }),
  });
  return { status: response.status, body: (await response.json()) as never };
}

/** Times a SIGTERM to the process until its exit. */
async function terminate(process_: LaunchedProcess): Promise<{ code: number | null; ms: number }> {
  const started = performance.now();
  process_.child.kill('SIGTERM');
  const { code } = await process_.exited();
  return { code, ms: performance.now() - started };
}

describe('npm start supervision', () => {
  it('should keep serving after a subgraph is killed with SIGKILL, bring it back, and stop in order with code 0', async () => {
    const ports = await meshPorts();
    // One day of history, no live mode: the simulator seeds and is done.
    const mesh = launch(['dist/scripts/start.js'], { ...ports, MESH_SEED_DAYS: '1', MESH_SIM_RATE: '0' });
    await mesh.waitForLine(/GraphQL data mesh is up/, 120_000);
    const inventory = childrenOf(mesh.child.pid!).find((c) => /subgraph\.js inventory$/.test(c.args))!;
    expect(inventory).toBeDefined();

    process.kill(inventory.pid, 'SIGKILL');
    await mesh.waitForLine(/\[inventory\]\s+killed by SIGKILL; restarting in \d+ ms/);
    // The rest keeps serving: catalog data, with the inventory fields null and an error naming the subgraph.
    const partial = await query(ports.GATEWAY_PORT, STOCK);
    expect(partial.status).toBe(200);
    expect(partial.body.data?.products.edges).toHaveLength(2);
    expect(partial.body.errors?.[0]?.extensions).toMatchObject({ code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'inventory' });

    await mesh.waitForLine(/\[inventory\]\s+ready again after restart 1/, 60_000);
    const restarted = childrenOf(mesh.child.pid!).find((c) => /subgraph\.js inventory$/.test(c.args))!;
    expect(restarted.pid).not.toBe(inventory.pid);
    const healed = await query(ports.GATEWAY_PORT, STOCK);
    expect(healed.body.errors).toBeUndefined();
    expect(healed.body.data.products.edges[0].node.stock).toEqual(expect.any(Object));

    const pieces = childrenOf(mesh.child.pid!)
      .filter((c) => /(gateway|subgraph)\.js/.test(c.args))
      .map((c) => c.pid);
    expect(pieces).toHaveLength(1 + DOMAIN_NAMES.length); // the gateway and every domain's subgraph
    const { code, ms } = await terminate(mesh);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(8_000);
    expect(pieces.filter(isAlive)).toEqual([]);
    // The gateway stops before the subgraphs it calls.
    const stopped = (name: string) => mesh.output.findIndex((line) => line.startsWith(`[${name}]`) && /SIGTERM, stopping/.test(line));
    expect(stopped('gateway')).toBeGreaterThan(-1);
    expect(stopped('gateway')).toBeLessThan(stopped('orders'));
  }, 200_000);

  it('should refuse to start, without "mesh is up", when its gateway cannot have its port', async () => {
    const held = await holdPort();
    try {
      const mesh = launch(['dist/scripts/start.js'], { ...(await meshPorts()), GATEWAY_PORT: String(held.port), MESH_SIMULATOR: 'off' });
      const { code } = await mesh.exited();
      expect(code).toBe(1);
      expect(mesh.output.join('\n')).not.toMatch(/mesh is up/);
      expect(mesh.output).toContainEqual(
        `mesh failed to start: gateway exited with code 1 before it was ready: gateway cannot listen on 127.0.0.1:${held.port}: the port is in use by another process; set GATEWAY_PORT to a free port`,
      );
    } finally {
      await held.close();
    }
  }, 120_000);
});

describe('a port in use', () => {
  it('should stop a subgraph with one line naming the port setting, and no stack trace', async () => {
    const held = await holdPort();
    try {
      const subgraph = launch(['dist/scripts/subgraph.js', 'orders'], { ORDERS_PORT: String(held.port) });
      const { code } = await subgraph.exited();
      expect(code).toBe(1);
      expect(subgraph.output).toEqual([
        `subgraph orders failed to start: orders subgraph cannot listen on 127.0.0.1:${held.port}: the port is in use by another process; set ORDERS_PORT to a free port`,
      ]);
    } finally {
      await held.close();
    }
  }, 60_000);
});

describe('SIGTERM', () => {
  it('should stop an embedded subgraph with code 0 within a few seconds', async () => {
    const subgraph = launch(['dist/scripts/subgraph.js', 'orders'], { ORDERS_PORT: '0' });
    await subgraph.waitForLine(/orders subgraph ready at/);
    const { code, ms } = await terminate(subgraph);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(3_000);
  }, 60_000);

  const withBrokers = postgresAvailable && natsReachable(natsUrl) ? it : it.skip;
  if (withBrokers === it.skip) console.warn('⚠ PostgreSQL or NATS not reachable — skipping the SIGTERM test of a subgraph on them.');
  withBrokers(
    'should stop a subgraph on PostgreSQL and NATS with code 0 within a few seconds',
    async () => {
      const namespace = uniqueNamespace();
      try {
        const subgraph = launch(['dist/scripts/subgraph.js', 'orders'], {
          ORDERS_PORT: '0',
          MESH_STORE: POSTGRES_TEST_URL,
          MESH_BUS: natsUrl,
          MESH_NAMESPACE: namespace,
        });
        await subgraph.waitForLine(/orders subgraph ready at/);
        const { code, ms } = await terminate(subgraph);
        // Before issue #12 this took the 10 s of the forced-exit timer and exited 1.
        expect(code).toBe(0);
        expect(ms).toBeLessThan(3_000);
      } finally {
        await dropScaleOutDomain('orders', namespace);
      }
    },
    60_000,
  );
});

describe('npm gone', () => {
  /** Whether `pid` has exited (gone, or a zombie nobody reaped yet). */
  const exited = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
    } catch {
      return !isAlive(pid);
    }
  };

  it('should stop a subgraph started through npm when npm exits without passing SIGTERM on', async () => {
    // npm runs the script under a shell and exits on SIGTERM without passing it on: a wrapper process
    // stands for both, with npm's variable set, and is killed outright.
    const wrapper = launch(
      [
        '-e',
        "require('node:child_process').spawn(process.execPath, ['dist/scripts/subgraph.js', 'orders'], { stdio: 'inherit' }); setInterval(() => {}, 60_000);",
      ],
      { ORDERS_PORT: '0', npm_lifecycle_event: 'subgraph' },
    );
    await wrapper.waitForLine(/orders subgraph ready at/);
    const [subgraph] = childrenOf(wrapper.child.pid!);
    expect(subgraph.args).toContain('dist/scripts/subgraph.js');
    try {
      process.kill(wrapper.child.pid!, 'SIGKILL');
      const started = Date.now();
      while (!exited(subgraph.pid) && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(exited(subgraph.pid)).toBe(true);
      // Its last lines come through the wrapper's pipes, which it held until it exited.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(wrapper.output).toContain('subgraph orders: npm gone, stopping');
    } finally {
      if (!exited(subgraph.pid)) process.kill(subgraph.pid, 'SIGKILL'); // the wrapper's group is gone with it
    }
  }, 60_000);
});

describe('an unreachable service', () => {
  it('should stop a subgraph with one line naming PostgreSQL (password hidden) and MESH_STORE', async () => {
    const port = await freePort();
    const subgraph = launch(['dist/scripts/subgraph.js', 'orders'], { ORDERS_PORT: '0', MESH_STORE: `postgres://mesh:secret@127.0.0.1:${port}/test` });
    expect((await subgraph.exited()).code).toBe(1);
    expect(subgraph.output).toEqual([
      `subgraph orders failed to start: PostgreSQL at postgres://mesh:***@127.0.0.1:${port}/test is not usable (connect ECONNREFUSED 127.0.0.1:${port}); start it, or point MESH_STORE at a running server`,
    ]);
  }, 60_000);

  it('should stop a subgraph with one line naming NATS and MESH_BUS', async () => {
    const port = await freePort();
    const subgraph = launch(['dist/scripts/subgraph.js', 'orders'], { ORDERS_PORT: '0', MESH_BUS: `nats://127.0.0.1:${port}` });
    expect((await subgraph.exited()).code).toBe(1);
    expect(subgraph.output).toEqual([
      `subgraph orders failed to start: NATS at nats://127.0.0.1:${port} is not reachable (connection refused); start it, or point MESH_BUS at a running server`,
    ]);
  }, 60_000);
});
