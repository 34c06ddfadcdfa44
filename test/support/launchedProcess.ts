/**
 * An entry point run as a real process for tests of process behaviour (supervision, signals, exit codes):
 * its output lines, a wait for a line, and a stop that takes its whole process group down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';

// Shared with the benches, which may not import test/.
export { childrenOf } from '../../bench/support/childrenOf.js';
export { freePort } from '../../bench/support/freePort.js';

export const PROJECT_ROOT = path.resolve(__dirname, '../..');

/** A running entry point. */
export interface LaunchedProcess {
  child: ChildProcess;
  /** Every stdout and stderr line so far. */
  output: string[];
  /** Resolves with the first line (already printed or to come) matching `pattern`; rejects on exit or timeout. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or signal name) and how long after the call it came. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to the process group, SIGKILL after 10 s; resolves once the leader exited. */
  stop(): Promise<void>;
}

/** Starts `node <args>` from the project folder in a process group of its own. */
export function launchNode(args: string[], env: Record<string, string>): LaunchedProcess {
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      for (const wake of waiters) wake();
    });
  }
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      for (const wake of waiters) wake();
    }),
  );
  const waitForLine = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      let seen = 0;
      const timer = setTimeout(() => done(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${output.join('\n')}`)), timeoutMs);
      const done = (error: Error | null, match?: RegExpExecArray) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve(match!);
      };
      const check = () => {
        for (; seen < output.length; seen++) {
          const match = pattern.exec(output[seen]);
          if (match) return done(null, match);
        }
        if (child.exitCode !== null || child.signalCode !== null)
          done(new Error(`exited (${child.exitCode ?? child.signalCode}) before a line matching ${pattern}; output:\n${output.join('\n')}`));
      };
      waiters.add(check);
      check();
    });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
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
    await exit;
    clearTimeout(force);
  };
  return { child, output, waitForLine, exited: () => exit, stop };
}

/** Whether a process with this id exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Holds a port on loopback until `close()`. */
export async function holdPort(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
