import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isChildMessage, type ChildMessage } from './childMessage.js';
import { restartDelay, type RestartPolicy } from './restartDelay.js';

/** Options of {@link superviseChild}. */
export interface SuperviseChildOptions {
  /** The piece's name: the prefix of its output lines and the subject of the launcher's own lines. */
  name: string;
  /** The Node entry point to run (a file path), started with this process's node flags. */
  entry: string;
  /** Arguments after the entry point. @default [] */
  args?: string[];
  /** Node flags of this piece, after this process's own (e.g. scripts/gatewayNodeFlags.ts). @default [] */
  nodeFlags?: readonly string[];
  /** The child's environment. @default this process's */
  env?: NodeJS.ProcessEnv;
  /**
   * Receives every output line of the child and the supervisor's own lines: plain lines prefixed with the
   * piece's name; JSON log lines (`MESH_LOG_FORMAT=json`) as they are, so the output stays one JSON object
   * per line for a log shipper (each carries its piece in `name`). @default console.log
   */
  log?: (line: string) => void;
  /** Backoff between restarts after crashes. @default see {@link RestartPolicy} */
  restart?: RestartPolicy;
  /** A run that stayed up this long resets the backoff to its first step. @default 30_000 */
  stableAfterMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. @default 8_000 */
  stopTimeoutMs?: number;
}

/** A supervised piece of the mesh. */
export interface SupervisedChild {
  readonly name: string;
  /**
   * Resolves with the first `ready` message of the first run. Rejects when that run exits before it:
   * a piece that cannot start (a port in use, a bad setting) stops the launch with its own last line
   * rather than being restarted forever.
   */
  readonly ready: Promise<ChildMessage>;
  /** The process id of the current run, undefined between runs. */
  readonly pid: number | undefined;
  /** How many times the piece was restarted after a crash. */
  readonly restarts: number;
  /** Stops the piece (SIGTERM, then SIGKILL after `stopTimeoutMs`) and restarts it no more. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs a piece of the mesh as a child process and keeps it running: once it has been ready, a crash
 * (an exit by a signal or with a non-zero code that the supervisor did not ask for) restarts it after an exponential, capped, jittered delay,
 * while the other pieces keep serving. Readiness is the child's own `ready` message over IPC
 * (`scripts/childMessage.ts`); the child sees the IPC channel close if the launcher dies, and stops.
 */
export function superviseChild(options: SuperviseChildOptions): SupervisedChild {
  const { name, entry, args = [], nodeFlags = [], env = process.env, log = console.log, restart = {}, stableAfterMs = 30_000, stopTimeoutMs = 8_000 } = options;
  const prefix = `[${name}]`.padEnd(12);
  let child: ChildProcess | null = null;
  let stopping = false;
  let everReady = false;
  let restarts = 0;
  let crashes = 0;
  let timer: NodeJS.Timeout | null = null;
  let lastLine = '';
  let settleReady!: { resolve: (m: ChildMessage) => void; reject: (e: Error) => void };
  const ready = new Promise<ChildMessage>((resolve, reject) => (settleReady = { resolve, reject }));
  ready.catch(() => {}); // observed by the launcher; never an unhandled rejection

  const run = () => {
    timer = null;
    if (stopping) return;
    const startedAt = Date.now();
    // The node flags of this process (none under `npm start`; tsx's loader during development) go to the child too.
    const current = spawn(process.execPath, [...process.execArgv, ...nodeFlags, entry, ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env,
      // Its own process group: Ctrl-C in a terminal reaches the launcher only, which stops the pieces in order
      // (a child that got the SIGINT itself would look like a crash and be restarted).
      detached: true,
    });
    child = current;
    for (const stream of [current.stdout!, current.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (line.trim()) lastLine = line;
        log(isJsonLine(line) ? line : `${prefix}${line}`);
      });
    }
    current.on('message', (message) => {
      if (!isChildMessage(message)) return;
      if (!everReady) {
        everReady = true;
        settleReady.resolve(message);
      } else log(`${prefix}ready again after restart ${restarts}`);
    });
    current.on('error', (error) => log(`${prefix}could not be started: ${error.message}`));
    current.on('exit', (code, signal) => {
      if (child === current) child = null;
      if (stopping) return;
      const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
      if (!everReady) {
        settleReady.reject(new Error(`${name} ${how} before it was ready${lastLine ? `: ${lastLine.replace(/^.*?failed to start: /, '')}` : ''}`));
        return;
      }
      // Finished of its own accord (the simulator with live mode off) or stopped by an operator: not a crash.
      if (code === 0) return void log(`${prefix}exited with code 0; not restarted`);
      crashes = Date.now() - startedAt >= stableAfterMs ? 1 : crashes + 1;
      const delay = restartDelay(crashes, restart);
      log(`${prefix}${how}; restarting in ${delay} ms (the rest of the mesh keeps serving)`);
      restarts++;
      timer = setTimeout(run, delay);
    });
  };
  run();

  return {
    name,
    ready,
    get pid() {
      return child?.pid;
    },
    get restarts() {
      return restarts;
    },
    stop: async () => {
      stopping = true;
      if (timer) clearTimeout(timer);
      settleReady.reject(new Error(`${name} was stopped before it was ready`));
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          log(`${prefix}did not stop within ${stopTimeoutMs} ms; killing it`);
          current.kill('SIGKILL');
        }, stopTimeoutMs);
        current.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        current.kill('SIGTERM');
      });
    },
  };
}

/** A line that is one JSON object (a pino log record), not text to prefix. */
function isJsonLine(line: string): boolean {
  if (!line.startsWith('{') || !line.endsWith('}')) return false;
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
}
