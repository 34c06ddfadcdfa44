/**
 * Secure by default: in production (`NODE_ENV=production` or `MESH_SECURE=true`) the real entry scripts
 * refuse to start with the committed dev gateway secret or the committed dev key, exiting 1 with one
 * line that names the setting to change. Ports are 0: a process that wrongly starts does not collide.
 * The scripts run compiled, as `npm run gateway` and `npm run subgraph` run them (the build runs first, a
 * no-op when `dist/` is up to date).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../support/launchedProcess.js';
import { buildEntryPoints } from '../support/useCompiledEntryPoints.js';

const IDP = { MESH_AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json' };
const SECRET = 'a-production-secret-of-more-than-32-characters';

/** Runs an entry script with exactly this environment (plus PATH); kills it if it is still running after 30 s. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        GATEWAY_PORT: '0',
        ORDERS_PORT: '0',
        MESH_STORE: 'memory',
        MESH_EXPORT_INTERVAL_MINUTES: '0',
        METADATA_SERVER_DETECTION: 'none',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const entries = [
  ['gateway', ['dist/scripts/gateway.js']],
  ['subgraph orders', ['dist/scripts/subgraph.js', 'orders']],
] as const;

beforeAll(buildEntryPoints, 250_000);

describe.each(entries)('%s', (name, args) => {
  it.each([
    ['NODE_ENV=production', { NODE_ENV: 'production' }],
    ['MESH_SECURE=true', { MESH_SECURE: 'true' }],
  ])('should refuse the dev gateway secret with %s', async (setting, env) => {
    const { code, stderr } = await run([...args], { ...env, ...IDP });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^${name} failed to start: refusing to start with ${setting}: MESH_GATEWAY_SECRET is the committed development secret: set MESH_GATEWAY_SECRET or MESH_GATEWAY_SECRET_FILE`,
      ),
    );
  });

  it('should refuse the committed dev key in production', async () => {
    const { code, stderr } = await run([...args], { NODE_ENV: 'production', MESH_GATEWAY_SECRET: SECRET });
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(
      new RegExp(`^${name} failed to start: refusing to start with NODE_ENV=production: .*committed development key: set MESH_AUTH_JWKS_URL[^\\n]*$`),
    );
  });

  it('should refuse the dev secret given through MESH_GATEWAY_SECRET_FILE', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mesh-secret-'));
    try {
      writeFileSync(path.join(dir, 'secret'), 'mesh-dev-gateway-secret-not-for-production\n');
      const { code, stderr } = await run([...args], { NODE_ENV: 'production', ...IDP, MESH_GATEWAY_SECRET_FILE: path.join(dir, 'secret') });
      expect(code).toBe(1);
      expect(stderr).toContain('MESH_GATEWAY_SECRET is the committed development secret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
