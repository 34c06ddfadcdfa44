/**
 * Gives the memory of clients that left back to the system (docs/benchmarks.md, "Memory after clients leave"). A
 * connected, subscribed client is a few dozen small objects (socket, `ws` and graphql-ws state, its
 * stream) that live long enough to reach V8's old generation. When thousands leave at once they become
 * garbage there, but nothing makes V8 collect it: old space is collected when allocation fills it, and
 * a gateway with few clients left allocates little. Measured with 10,000 clients (bench:fanout), RSS stayed at
 * its peak and the JS heap in use at 4× its idle size 25 s after they left; and a plain major collection
 * frees the objects but keeps most pages, scattered as the survivors are. A memory-reducing collection
 * (V8's "collect all available garbage", which compacts and releases the emptied pages) brings RSS back
 * to its idle size.
 *
 * So after a mass leave (at least `minDrop` connections gone, and at least half of the peak since the last
 * collection), once no connection has closed for `settleMs` (or at the latest `maxWaitMs` after the leave
 * became a mass leave, so that clients that go on leaving one by one cannot put it off for ever), one such
 * collection runs. It pauses the
 * gateway for a few hundred milliseconds (its live heap being small by then), once per mass leave, never per
 * client; the clients still connected wait that long for their next event.
 */
export interface LeaveReclaimerOptions {
  /**
   * Connections that must have closed since the peak (and at least half of it) before a collection runs.
   * @default 1000
   */
  minDrop?: number;
  /**
   * Quiet time after the last close before the collection runs (one collection for a wave of closes).
   * @default 5000
   */
  settleMs?: number;
  /**
   * Longest wait, from the moment the leave became a mass leave, before the collection runs even though
   * connections keep closing (each close restarts the `settleMs` wait).
   * @default 30000
   */
  maxWaitMs?: number;
  /**
   * The memory-reducing collection.
   * @default the inspector's `HeapProfiler.collectGarbage` through an in-process session (no port opened)
   */
  collect?: () => Promise<void>;
  /** Called after each collection (for a log line). A throw is ignored. @default none */
  onReclaimed?(info: ReclaimInfo): void;
}

export interface ReclaimInfo {
  /** Connections open when it ran, and the peak they fell from. */
  connections: number;
  peak: number;
  /** How long the gateway was paused. */
  durationMs: number;
  /** Resident set size before and after, in bytes. */
  rssBefore: number;
  rssAfter: number;
  /** Why the collection failed, when it did (nothing was given back then; the next mass leave tries again). */
  error?: unknown;
}

export interface LeaveReclaimer {
  /** A client connection opened. */
  opened(): void;
  /** A client connection closed. */
  closed(): void;
  /** Cancels a pending collection. */
  dispose(): void;
}

/**
 * V8's memory-reducing full collection, asked through the inspector protocol in this process. The
 * session is disconnected after its answer was handled, never from the answer's callback: that runs
 * while the inspector still dispatches, and disconnecting there blocks the process for good.
 *
 * `node:inspector` is loaded here, not with this module: on a Node built without the inspector
 * (`--without-inspector`) loading it throws, which must fail only this collection (the reclaimer
 * catches it), never the gateway's start.
 */
export async function collectAllGarbage(): Promise<void> {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  try {
    await new Promise<void>((resolve, reject) => session.post('HeapProfiler.collectGarbage', (error) => (error ? reject(error) : resolve())));
  } finally {
    session.disconnect();
  }
}

export function createLeaveReclaimer(options: LeaveReclaimerOptions = {}): LeaveReclaimer {
  const { minDrop = 1000, settleMs = 5000, maxWaitMs = 30_000, collect = collectAllGarbage, onReclaimed } = options;
  if (!(minDrop >= 1)) throw new RangeError(`minDrop must be at least 1, got ${minDrop}`);
  if (!(settleMs >= 0)) throw new RangeError(`settleMs must be at least 0, got ${settleMs}`);
  if (!(maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be at least 0, got ${maxWaitMs}`);
  let connections = 0;
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  // Set when the pending collection's wait began; never restarted by further closes.
  let latest: NodeJS.Timeout | undefined;
  const cancel = () => {
    clearTimeout(timer);
    clearTimeout(latest);
    timer = latest = undefined;
  };
  let collecting = false;
  const dropped = () => peak - connections >= minDrop && connections <= peak / 2;
  const run = async () => {
    cancel();
    if (!dropped() || collecting) return;
    collecting = true;
    const rssBefore = process.memoryUsage.rss();
    const started = performance.now();
    let error: unknown;
    try {
      await collect();
    } catch (failure) {
      // nothing to give back this time; the next mass leave tries again, and `onReclaimed` says why
      error = failure;
    } finally {
      collecting = false;
    }
    const info: ReclaimInfo = { connections, peak, durationMs: performance.now() - started, rssBefore, rssAfter: process.memoryUsage.rss() };
    if (error !== undefined) info.error = error;
    peak = connections;
    try {
      onReclaimed?.(info);
    } catch {
      // a log line must not break the gateway
    }
  };
  return {
    opened() {
      connections += 1;
      if (connections > peak) peak = connections;
    },
    closed() {
      connections -= 1;
      if (!dropped()) return;
      clearTimeout(timer);
      timer = setTimeout(() => void run(), settleMs);
      timer.unref();
      if (latest) return;
      latest = setTimeout(() => void run(), maxWaitMs);
      latest.unref();
    },
    dispose: cancel,
  };
}
