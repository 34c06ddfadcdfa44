/**
 * Runs a process entry point: a startup failure prints its message (not a stack) and exits 1; SIGINT and
 * SIGTERM run the returned cleanup once, then exit 0.
 */
export async function runMain(name: string, main: () => Promise<() => Promise<void>>): Promise<void> {
  let stop: (() => Promise<void>) | null = null;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`${name}: ${signal}, stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      await stop?.();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    stop = await main();
  } catch (error) {
    console.error(`${name} failed to start: ${(error as Error).message}`);
    if (process.env.MESH_DEBUG) console.error(error);
    process.exit(1);
  }
}
