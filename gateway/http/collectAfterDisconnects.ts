/**
 * A full garbage collection once many websocket clients have left (docs/architecture.md "Memory after
 * clients leave"). What thousands of connections leave behind is promoted to V8's old space, and V8
 * collects old space when allocation makes it, not when the clients go: a gateway whose clients left
 * and that then idles keeps that garbage, and its RSS, indefinitely (measured: 3,000 clients left
 * 240 MB RSS against 153 MB idle; one full collection brought it to 135 MB). So after `threshold`
 * connections closed, once no connection has closed for `quietMs`, this asks for one collection.
 */

/** Options of `collectAfterDisconnects`. */
export interface CollectAfterDisconnectsOptions {
  /**
   * Runs a full collection (e.g. Node's `gc`, present when the process runs with `--expose-gc`). A
   * throw is ignored.
   */
  collect: () => void;
  /**
   * Connections that must have closed since the last collection.
   * @default 1000
   */
  threshold?: number;
  /**
   * How long no connection may have closed before collecting (a mass disconnect is over).
   * @default 2000
   */
  quietMs?: number;
}

export interface DisconnectCollector {
  /** Counts one closed connection. */
  closed(): void;
  /** Cancels a pending collection. */
  dispose(): void;
}

export function collectAfterDisconnects(options: CollectAfterDisconnectsOptions): DisconnectCollector {
  const { collect, threshold = 1000, quietMs = 2000 } = options;
  let closedSince = 0;
  let timer: NodeJS.Timeout | undefined;
  const run = () => {
    timer = undefined;
    closedSince = 0;
    try {
      collect();
    } catch {
      // memory housekeeping must not take the gateway down
    }
  };
  return {
    closed() {
      closedSince += 1;
      if (closedSince < threshold) return;
      clearTimeout(timer);
      timer = setTimeout(run, quietMs);
      timer.unref();
    },
    dispose() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * Node's `gc` when the process runs with `--expose-gc`, as a major collection started at a task
 * boundary where the runtime supports it; otherwise undefined.
 */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: (options?: { type: 'major'; execution: 'async' }) => unknown }).gc;
  return typeof gc === 'function' ? () => void gc({ type: 'major', execution: 'async' }) : undefined;
}
