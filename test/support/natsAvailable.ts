/**
 * NATS for tests. `describeWithNats` runs a suite against the shared nats-server (`MESH_TEST_NATS_URL`,
 * default `nats://127.0.0.1:4222`) and skips it LOUDLY when none answers with JetStream, so a machine
 * without a broker reports skipped suites instead of failures. `startPrivateNatsServer` runs a throw-away
 * server of our own (free port, temp store) for tests that kill the broker: never the shared one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './launchedProcess.js';

export const natsUrl = process.env.MESH_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** The nats-server binary the private-server tests need. */
export const NATS_SERVER_BINARY = '/usr/sbin/nats-server';

/** Node script: exit 0 when `host:port` greets with a NATS INFO that has JetStream on. */
const PROBE = `
const [host, port, timeout] = process.argv.slice(1);
const socket = require('net').connect(Number(port), host);
const give = (code) => { socket.destroy(); process.exit(code); };
setTimeout(() => give(2), Number(timeout));
let text = '';
socket.on('data', (chunk) => {
  text += chunk;
  const line = text.split('\\r\\n')[0];
  if (!text.includes('\\r\\n')) return;
  try { give(line.startsWith('INFO ') && JSON.parse(line.slice(5)).jetstream === true ? 0 : 3); } catch { give(3); }
});
socket.on('error', () => give(1));
`;

/** Whether a JetStream-enabled server answers at `url` (synchronous: suites are declared synchronously). */
export function natsReachable(url: string, timeoutMs = 1500): boolean {
  const { hostname, port } = new URL(url);
  // `timeoutMs` decides; the spawn's own limit only stops a node that cannot start (seconds on a loaded machine).
  const probe = spawnSync(process.execPath, ['-e', PROBE, hostname, port || '4222', String(timeoutMs)], { timeout: timeoutMs + 15_000 });
  return probe.status === 0;
}

let reachable: boolean | undefined;

/** `describe` when the shared NATS server is reachable, else a loudly announced `describe.skip`. */
export function describeWithNats(name: string, body: () => void): void {
  reachable ??= natsReachable(natsUrl);
  if (reachable) {
    describe(name, body);
    return;
  }
  console.warn(`⚠ NATS not reachable at ${natsUrl} (set MESH_TEST_NATS_URL) — skipping "${name}"`);
  const describeSkipped: jest.Describe = describe.skip;
  describeSkipped(name, body);
}

/** A nats-server of the test's own; `kill()` is SIGKILL (a crash), `start()` brings it back on the same port and store. */
export interface PrivateNatsServer {
  url: string;
  start(): Promise<void>;
  kill(): Promise<void>;
  /** Kills it and removes its store. */
  dispose(): Promise<void>;
}

/** Starts `nats-server -js` on a free loopback port with a temp store directory. */
export async function startPrivateNatsServer(): Promise<PrivateNatsServer> {
  const port = await freePort();
  const storeDir = await mkdtemp(path.join(tmpdir(), 'mesh-nats-'));
  const url = `nats://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  const start = async () => {
    child = spawn(NATS_SERVER_BINARY, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await probe(port))) {
      if (Date.now() > deadline) throw new Error(`private nats-server on ${port} did not start`);
      if (child.exitCode !== null) throw new Error(`private nats-server exited with ${child.exitCode}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const kill = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url,
    start,
    kill,
    dispose: async () => {
      await kill();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

export function natsServerBinaryExists(): boolean {
  return existsSync(NATS_SERVER_BINARY);
}

/** Whether the server on `port` accepts connections and greets with JetStream on. */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk) => done(chunk.toString().startsWith('INFO ') && chunk.toString().includes('"jetstream":true')));
  });
}
