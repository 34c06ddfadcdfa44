/**
 * A Mosquitto of the test's own on a free loopback port, with persistence in a temporary folder, that the
 * test may restart (SIGTERM, which saves the sessions and queued messages, then start again on the same
 * port): the shared broker on 1883 is never stopped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../support/launchedProcess.js';

/** Whether the `mosquitto` binary is installed (synchronous: suites are declared synchronously). */
export const mosquittoInstalled = spawnSync('mosquitto', ['-h']).error === undefined;

export interface PrivateMosquitto {
  url: string;
  /** Stops the broker gracefully and starts it again; resolves once it accepts connections. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export async function startPrivateMosquitto(): Promise<PrivateMosquitto> {
  const dir = await mkdtemp(path.join(tmpdir(), 'mesh-mosquitto-'));
  const port = await freePort();
  const config = path.join(dir, 'mosquitto.conf');
  await writeFile(
    config,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'user root', 'log_dest none', ''].join('\n'),
  );
  let child: ChildProcess | null = null;
  const start = async () => {
    const started = spawn('mosquitto', ['-c', config], { stdio: 'ignore' });
    child = started;
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (started.exitCode !== null) throw new Error(`mosquitto exited with ${started.exitCode}`);
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port} within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const stop = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    restart: async () => {
      await stop();
      await start();
    },
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
