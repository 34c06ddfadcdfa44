/**
 * The entry points `npm start`, `npm run gateway`, `npm run subgraph` and `npm run token` run: compiled
 * JavaScript under plain `node`, with no TypeScript loader. The build runs first (a no-op when `dist/` is
 * up to date), then each entry point is started from the project folder as npm starts it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist');

/** A running entry point: its output lines, and a way to wait for one. */
interface Started {
  child: ChildProcess;
  output: string[];
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

const running: ChildProcess[] = [];
let scratch: string;

function startNode(args: string[], env: Record<string, string>): Started {
  // Own process group, so a child that spawns children (npm start) is stopped whole.
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.push(child);
  const output: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      for (const wake of waiters) wake();
    });
  }
  child.on('exit', () => {
    for (const wake of waiters) wake();
  });
  const waitForLine = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${output.join('\n')}`)), timeoutMs);
      const done = (error: Error | null, match?: RegExpExecArray) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve(match!);
      };
      const check = () => {
        for (const line of output) {
          const match = pattern.exec(line);
          if (match) return done(null, match);
        }
        if (child.exitCode !== null || child.signalCode !== null)
          done(new Error(`exited (${child.exitCode ?? child.signalCode}) before a line matching ${pattern}; output:\n${output.join('\n')}`));
      };
      waiters.add(check);
      check();
    });
  return { child, output, waitForLine };
}

/** Stops a process group and waits for its leader to exit. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    return;
  }
  const force = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 10_000);
  await exited;
  clearTimeout(force);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Settings that keep an entry point off the fixed demo ports and out of `./data` and `./exports`. */
function isolatedEnv(): Record<string, string> {
  return {
    MESH_STORE: 'memory',
    MESH_DATA_DIR: path.join(scratch, 'data'),
    MESH_EXPORT_DIR: path.join(scratch, 'exports'),
    MESH_EXPORT_INTERVAL_MINUTES: '0',
    METADATA_SERVER_DETECTION: 'none',
  };
}

beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'mesh-dist-'));
  const tsc = require.resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
}, 130_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map(stop));
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

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

  it('should run every npm entry point on dist/ with plain node', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const entry of ['start', 'gateway', 'subgraph', 'simulate', 'compose', 'token']) {
      expect(scripts[entry]).toBe(`node dist/scripts/${entry}.js`);
    }
  });
});

describe('compiled entry points', () => {
  it('should answer a query from node dist/scripts/gateway.js on a supergraph file', async () => {
    const gateway = startNode(['dist/scripts/gateway.js'], { ...isolatedEnv(), GATEWAY_PORT: '0', MESH_SUPERGRAPH_FILE: 'schema/supergraph.graphql' });
    const [, url] = await gateway.waitForLine(/gateway ready at (\S+)/);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('should serve a subgraph from node dist/scripts/subgraph.js, reading schema/ from the project folder', async () => {
    const subgraph = startNode(['dist/scripts/subgraph.js', 'catalog'], { ...isolatedEnv(), CATALOG_PORT: '0' });
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
    const mesh = startNode(['dist/scripts/start.js'], { ...isolatedEnv(), ...Object.fromEntries(ports), MESH_SIMULATOR: 'off' });
    await mesh.waitForLine(/GraphQL data mesh is up/, 120_000);
    // The children's command lines, as the kernel has them: node, a dist/ script, no tsx.
    const children = spawnSync('ps', ['-o', 'args=', '--ppid', String(mesh.child.pid)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    expect(children).toHaveLength(5);
    for (const args of children) {
      expect(args).toMatch(
        new RegExp(
          `^${process.execPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ${DIST.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/scripts/(gateway|subgraph)\\.js`,
        ),
      );
      expect(args).not.toMatch(/tsx/);
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
