/**
 * Redis for the rate limit suites: `describeWithRedis` runs a suite against the shared Redis
 * (`MESH_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`) and skips it LOUDLY when none answers PING.
 */
import { spawnSync } from 'node:child_process';

export const redisUrl = process.env.MESH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const PROBE = `
const [host, port] = process.argv.slice(1);
const socket = require('net').connect(Number(port), host, () => socket.write('PING\\r\\n'));
const give = (code) => { socket.destroy(); process.exit(code); };
setTimeout(() => give(2), 1000);
socket.on('data', (chunk) => give(String(chunk).startsWith('+PONG') ? 0 : 3));
socket.on('error', () => give(1));
`;

let reachable: boolean | undefined;

export function describeWithRedis(name: string, body: () => void): void {
  const { hostname, port } = new URL(redisUrl);
  // The probe's 1 s decides; the spawn's limit only stops a node that cannot start (seconds on a loaded machine).
  reachable ??= spawnSync(process.execPath, ['-e', PROBE, hostname, port || '6379'], { timeout: 15_000 }).status === 0;
  if (reachable) return void describe(name, body);
  console.warn(`⚠ Redis not reachable at ${redisUrl} (set MESH_TEST_REDIS_URL) — skipping "${name}"`);
  const describeSkipped: jest.Describe = describe.skip;
  describeSkipped(name, body);
}
