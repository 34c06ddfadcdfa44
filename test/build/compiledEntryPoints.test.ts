/**
 * The entry points `npm start`, `npm run gateway`, `npm run subgraph` and `npm run token` run: compiled
 * JavaScript under plain `node`, with no TypeScript loader. The build runs first (a no-op when `dist/` is
 * up to date), then each entry point is started from the project folder as npm starts it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { gatewayAllocatorEnv } from '../../scripts/gatewayAllocator.js';
import { GATEWAY_NODE_FLAGS } from '../../scripts/gatewayNodeFlags.js';
import { childrenOf, freePort, PROJECT_ROOT as ROOT } from '../support/launchedProcess.js';
import { useCompiledEntryPoints } from '../support/useCompiledEntryPoints.js';

const DIST = path.join(ROOT, 'dist');
const startNode = useCompiledEntryPoints('mesh-dist-');

describe('the build', () => {
  it('should emit every entry point as JavaScript without source maps, and no tests or benches', () => {
    for (const entry of ['start', 'gateway', 'subgraph', 'simulate', 'compose', 'token']) {
      expect(existsSync(path.join(DIST, 'scripts', `${entry}.js`))).toBe(true);
    }
    expect(existsSync(path.join(DIST, 'scripts', 'gateway.js.map'))).toBe(false);
    expect(existsSync(path.join(DIST, 'test'))).toBe(false);
    expect(existsSync(path.join(DIST, 'bench'))).toBe(false);
  });

  it('should import only production dependencies and node built-ins (the image installs no dev dependencies)', () => {
    const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.name.endsWith('.js')) {
          for (const [, specifier, bare, dynamic] of readFileSync(file, 'utf8').matchAll(
            /^(?:import|export)\b[^'\n]*\bfrom '([^'.][^']*)';$|^import '([^'.][^']*)';$|\bimport\('([^'.][^']*)'\)/gm,
          ))
            imported.add(specifier ?? bare ?? dynamic);
        }
      }
    };
    walk(DIST);
    const packageOf = (specifier: string) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');
    const foreign = [...imported].filter((s) => !s.startsWith('node:') && !(packageOf(s) in dependencies));
    expect(imported.size).toBeGreaterThan(10);
    expect(foreign).toEqual([]);
  });

  it("should leave to run time only production dependencies, built-ins and optional modules in the gateway's bundle", () => {
    const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const externals = JSON.parse(readFileSync(path.join(DIST, 'bundle', 'gateway.externals.json'), 'utf8')) as string[];
    // Required inside try/catch by the packages that name them (ws, node-fetch, undici's SQLite cache store).
    const optional = ['bufferutil', 'utf-8-validate', 'encoding', 'node:sqlite'];
    const foreign = externals.filter((s) => !isBuiltin(s) && !optional.includes(s) && !(s in dependencies));
    expect(externals).toContain('@graphql-hive/router-query-planner');
    expect(foreign).toEqual([]);
  });

  it("should hash query texts in the gateway's bundle with Node's crypto, not sha.js in JavaScript", () => {
    const bundle = readFileSync(path.join(DIST, 'bundle', 'gateway.cjs'), 'utf8');
    expect(bundle).not.toMatch(/node_modules\/sha\.js\//);
    expect(bundle).not.toMatch(/node_modules\/@apollo\/utils\.createhash\//);
  });

  it('should run every npm entry point on dist/ with plain node', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const entry of ['start', 'gateway', 'subgraph', 'simulate', 'compose', 'token']) {
      // The gateway runs with its own V8 flags (scripts/gatewayNodeFlags.ts), still plain node on dist/.
      const flags = entry === 'gateway' ? `${GATEWAY_NODE_FLAGS.join(' ')} ` : '';
      expect(scripts[entry]).toBe(`node ${flags}dist/scripts/${entry}.js`);
    }
  });
});

describe('compiled entry points', () => {
  it('should answer a query from node dist/scripts/gateway.js on a supergraph file', async () => {
    const gateway = startNode(['dist/scripts/gateway.js'], { GATEWAY_PORT: '0', MESH_SUPERGRAPH_FILE: 'schema/supergraph.graphql' });
    const [, url] = await gateway.waitForLine(/gateway ready at (\S+)/);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('should start the gateway from its bundle: a few modules loaded, none of Apollo telemetry, the code cache written once and then used', async () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'mesh-bundle-'));
    const cache = path.join(DIST, 'bundle', 'gateway.cjs.cache');
    rmSync(cache, { force: true });
    try {
      // Lists every CommonJS module the process loaded, when it exits (the gateway exits on SIGINT).
      const probe = path.join(scratch, 'probe.cjs');
      writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(process.env.PROBE_OUT, Object.keys(require.cache).join('\\n')));`);
      const start = async (out: string) => {
        const gateway = startNode(['--require', probe, 'dist/scripts/gateway.js'], {
          GATEWAY_PORT: '0',
          MESH_SUPERGRAPH_FILE: 'schema/supergraph.graphql',
          PROBE_OUT: path.join(scratch, out),
        });
        const [, url] = await gateway.waitForLine(/gateway ready at (\S+)/);
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
        await gateway.stop();
        return readFileSync(path.join(scratch, out), 'utf8').split('\n');
      };
      const loaded = await start('first.txt');
      // What the bundle leaves to run time (pino, the native planner); unbundled, graphql, @apollo/* and
      // the rest are here too, about 1,000 files.
      expect(loaded.length).toBeLessThan(60);
      expect(loaded.filter((file) => /[\\/]node_modules[\\/](graphql|@apollo[\\/]gateway)[\\/]/.test(file))).toEqual([]);
      expect(loaded.filter((file) => /[\\/](make-fetch-happen|@opentelemetry[\\/]sdk-metrics|@opentelemetry[\\/]resources)[\\/]/.test(file))).toEqual([]);
      // Written after the first answer; taken as it is by the next start (a rejected cache would be written again).
      const written = statSync(cache).mtimeMs;
      await start('second.txt');
      expect(statSync(cache).mtimeMs).toBe(written);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    // Two starts, each allowed `waitForLine`'s 60 s: the first compiles the bundle without a code cache,
    // which took over 30 s under a loaded CI run (2 s alone).
  }, 120_000);

  it('should serve a subgraph from node dist/scripts/subgraph.js, reading schema/ from the project folder', async () => {
    const subgraph = startNode(['dist/scripts/subgraph.js', 'catalog'], { CATALOG_PORT: '0' });
    const [, url] = await subgraph.waitForLine(/catalog subgraph ready at (\S+)/);
    const health = await fetch(url.replace(/\/graphql$/, '/health'));
    expect(health.status).toBe(200);
  });

  it('should print a token from node dist/scripts/token.js', () => {
    const token = spawnSync(process.execPath, ['dist/scripts/token.js', '--scopes', 'orders:read'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(token.status).toBe(0);
    expect(token.stdout.trim()).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('should start the whole mesh from node dist/scripts/start.js, every child on dist/ with no loader', async () => {
    const ports = await Promise.all(
      ['GATEWAY_PORT', 'CATALOG_PORT', 'ORDERS_PORT', 'INVENTORY_PORT', 'SHIPPING_PORT'].map(async (name) => [name, String(await freePort())] as const),
    );
    const mesh = startNode(['dist/scripts/start.js'], { ...Object.fromEntries(ports), MESH_SIMULATOR: 'off' });
    await mesh.waitForLine(/GraphQL data mesh is up/, 120_000);
    // The children's command lines, as the kernel has them: node, a dist/ script, no tsx.
    const children = childrenOf(mesh.child.pid!).map((child) => child.args);
    expect(children).toHaveLength(5);
    for (const args of children) {
      expect(args).toMatch(
        new RegExp(
          `^${process.execPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (${GATEWAY_NODE_FLAGS.join(' ')} )?${DIST.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/scripts/(gateway|subgraph)\\.js`,
        ),
      );
      expect(args).not.toMatch(/tsx/);
    }
    // The gateway alone runs on jemalloc where the machine has it (scripts/gatewayAllocator.ts).
    const jemalloc = gatewayAllocatorEnv({ ...process.env, LD_PRELOAD: '' }).LD_PRELOAD;
    if (!jemalloc) console.warn('⚠ SKIPPED: no jemalloc library on this machine; the gateway allocator of npm start is not checked');
    for (const child of childrenOf(mesh.child.pid!)) {
      const maps = readFileSync(`/proc/${child.pid}/maps`, 'utf8');
      if (jemalloc && /scripts\/gateway\.js/.test(child.args)) expect(maps).toContain(jemalloc);
      else if (!process.env.LD_PRELOAD?.includes('jemalloc')) expect(maps).not.toContain('jemalloc');
    }
    const gatewayPort = ports.find(([name]) => name === 'GATEWAY_PORT')![1];
    const response = await fetch(`http://127.0.0.1:${gatewayPort}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products(first: 1) { edges { node { id } } } }' }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
  }, 150_000);
});
