import { watchParent } from './watchParent.js';

/**
 * Runs a process entry point: a startup failure prints its message (not a stack) and exits 1; SIGINT and
 * SIGTERM run the returned cleanup once, then exit 0. A process started by the launcher (`npm start`, with
 * an IPC channel) stops the same way when the channel closes: the launcher is gone, so nobody supervises it.
 * One started through npm (`npm_lifecycle_event` set) also stops when its parent exits (`watchParent`):
 * npm does not pass a SIGTERM on to the script.
 */
export async function runMain(name: string, main: () => Promise<() => Promise<void>>): Promise<void> {
  let stop: (() => Promise<void>) | null = null;
  let stopping = false;
  const shutdown = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${name}: ${reason}, stopping`);
    // A last resort: every close path is bounded well below this, so hitting it is a bug worth a non-zero code.
    const force = setTimeout(() => {
      console.error(`${name}: did not stop within ${FORCED_EXIT_MS / 1000} s; exiting anyway`);
      process.exit(1);
    }, FORCED_EXIT_MS);
    force.unref();
    try {
      await stop?.();
    } catch (error) {
      console.error(`${name}: stopping failed: ${(error as Error).message}`);
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  if (process.connected) process.on('disconnect', () => void shutdown('launcher gone'));
  if (process.env.npm_lifecycle_event) watchParent(() => void shutdown('npm gone'));
  try {
    stop = await main();
  } catch (error) {
    if (stopping) return;
    console.error(`${name} failed to start: ${(error as Error).message}`);
    if (process.env.MESH_DEBUG) console.error(error);
    process.exit(1);
  }
}

const FORCED_EXIT_MS = 20_000;
