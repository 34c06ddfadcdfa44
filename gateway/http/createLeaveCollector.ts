import { queryObjects } from 'node:v8';

/** Options of {@link createLeaveCollector}. */
export interface LeaveCollectorOptions {
  /**
   * Connections that must have left since the peak (and be at least half of it) before a collection is
   * asked for: a few clients coming and going never pause the process.
   * @default 1000
   */
  minLeft?: number;
  /** Quiet time after the last close before collecting, so a mass leave is collected once. @default 2000 */
  quietMs?: number;
  /** Least time between two collections. @default 60000 */
  minIntervalMs?: number;
  /**
   * Runs a full garbage collection. A throw is ignored (the memory is then reclaimed whenever V8 next
   * collects on its own).
   * @default a full collection through `v8.queryObjects` (see the function comment)
   */
  collect?: () => void;
}

/** What the websocket server tells the collector. */
export interface LeaveCollector {
  opened(): void;
  closed(): void;
  dispose(): void;
}

/** Instances of this class never exist: `queryObjects` finds none and only its full collection remains. */
class NeverInstantiated {}

/**
 * Reclaims the memory of clients that left en masse (issue #9: gateway RSS stayed at its connected size,
 * 366 MB vs 182 MB idle, after 10,000 clients left). What they held is garbage by then, but V8 collects
 * the old generation only under allocation pressure, and an idle gateway allocates nothing, so nothing
 * ever collects it. When the connection count has dropped to half its peak or less, by at least
 * `minLeft`, and stayed quiet for `quietMs`, one full collection is run.
 *
 * Node has no flag-free "collect now" (`global.gc` needs `--expose-gc`, and `v8.setFlagsFromString` after
 * start is documented as unsafe). `v8.queryObjects` is a documented API that searches the heap "after a
 * full garbage collection" (Node >= 20.13); asked for a class that has no instances, it is that
 * collection alone. It blocks the event loop for the collection (~0.7 s for a 190 MB heap on this
 * machine), which is why it runs only after a mass leave and at most once per `minIntervalMs`.
 */
export function createLeaveCollector(options: LeaveCollectorOptions = {}): LeaveCollector {
  const { minLeft = 1000, quietMs = 2000, minIntervalMs = 60_000, collect = fullCollection } = options;
  let open = 0;
  let peak = 0;
  let lastCollection = -Infinity;
  let timer: NodeJS.Timeout | undefined;

  const run = () => {
    timer = undefined;
    const now = performance.now();
    if (!shouldCollect()) return;
    if (now - lastCollection < minIntervalMs) {
      timer = setTimeout(run, lastCollection + minIntervalMs - now);
      timer.unref();
      return;
    }
    lastCollection = now;
    peak = open;
    try {
      collect();
    } catch {
      // best effort: V8 collects on its own later
    }
  };
  const shouldCollect = () => peak - open >= minLeft && open <= peak / 2;

  return {
    opened() {
      open += 1;
      if (open > peak) peak = open;
    },
    closed() {
      open = Math.max(0, open - 1);
      if (!shouldCollect()) return;
      if (timer) timer.refresh();
      else {
        timer = setTimeout(run, quietMs);
        timer.unref();
      }
    },
    dispose() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

function fullCollection(): void {
  queryObjects(NeverInstantiated, { format: 'count' });
}
