import type { DataProductDescriptor, RetentionReport } from '../descriptor.js';
import { GRAIN_MS, STORED_GRAINS, type RetentionCutoffs, type Store, type StoredGrain } from '../store/Store.js';

/** What the retention of a product needs from it. */
export interface ProductRetentionOptions {
  store: Store;
  /** The SLOs holding `retentionDays` and the optional per-grain `rollupRetentionDays`. */
  slos: DataProductDescriptor['slos'];
  /**
   * How far behind the watermark a late fact is still accepted (the runtime's `latenessMs`). Facts inside
   * that window are never deleted, whatever the SLO says: a deleted fact posted again would count twice.
   */
  latenessMs: number;
  /** Clock. */
  now: () => Date;
  /**
   * How often retention runs; the first run is one interval after `start`. 0 disables the schedule
   * (`run` still works, e.g. from a test or an operator).
   * @default 3_600_000 (hourly)
   */
  intervalMs?: number;
  /** Told about a scheduled run that failed (the schedule keeps going). @default console.error */
  onError?: (error: unknown) => void;
}

/** The retention of one product: deletes what is past its SLO window and reports what it did. */
export interface ProductRetention {
  /** Runs retention now. */
  run(): Promise<NonNullable<RetentionReport['lastRun']>>;
  /** Starts the schedule (idempotent). */
  start(): void;
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
  /** The policy and the last run, for the descriptor. */
  report(): RetentionReport;
}

const floorDay = (ms: number) => Math.floor(ms / GRAIN_MS.day) * GRAIN_MS.day;

/** Days each grain is kept: minute and hour rows as long as facts, day rows forever, unless declared. */
export function grainRetentionDays(slos: DataProductDescriptor['slos']): Record<StoredGrain, number | null> {
  const declared = slos.rollupRetentionDays ?? {};
  const days = (grain: StoredGrain, fallback: number | null) => (declared[grain] === undefined ? fallback : declared[grain]);
  return { minute: days('minute', slos.retentionDays), hour: days('hour', slos.retentionDays), day: days('day', null) };
}

/**
 * The instants before which everything goes: `now` minus each window, floored to a UTC day. Facts are kept
 * at least as long as the lateness window behind the watermark, so deduplication holds for every fact the
 * product still accepts.
 */
export function retentionCutoffs(slos: DataProductDescriptor['slos'], latenessMs: number, now: Date, watermark: Date | null): RetentionCutoffs {
  const window = (days: number) => floorDay(now.getTime() - days * GRAIN_MS.day);
  const accepted = floorDay(Math.min(now.getTime(), watermark?.getTime() ?? Infinity) - latenessMs);
  const grains: RetentionCutoffs['grains'] = {};
  for (const [grain, days] of Object.entries(grainRetentionDays(slos)) as Array<[StoredGrain, number | null]>) {
    if (days !== null) grains[grain] = new Date(window(days));
  }
  return { facts: new Date(Math.min(window(slos.retentionDays), accepted)), grains };
}

export function productRetention(options: ProductRetentionOptions): ProductRetention {
  const { store, slos, latenessMs, now, intervalMs = 3_600_000, onError = (e: unknown) => console.error('retention failed', e) } = options;
  for (const [name, days] of [['retentionDays', slos.retentionDays], ...Object.entries(slos.rollupRetentionDays ?? {})] as const) {
    if (days !== null && !(typeof days === 'number' && days > 0 && Number.isFinite(days))) {
      throw new RangeError(`retention ${name} must be a positive number of days${name === 'retentionDays' ? '' : ' or null'}, got ${String(days)}`);
    }
  }
  if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new RangeError(`retention intervalMs must be a non-negative number, got ${intervalMs}`);
  let lastRun: RetentionReport['lastRun'] = null;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();

  const run = async () => {
    const at = now();
    const cutoffs = retentionCutoffs(slos, latenessMs, at, await store.watermark());
    const deleted = await store.enforceRetention(cutoffs);
    const before: NonNullable<RetentionReport['lastRun']>['before'] = { facts: cutoffs.facts.toISOString() };
    for (const grain of STORED_GRAINS) if (cutoffs.grains[grain]) before[grain] = cutoffs.grains[grain].toISOString();
    lastRun = { at: at.toISOString(), before, deleted: { facts: deleted.facts, deadLetters: deleted.deadLetters, ...deleted.rows } };
    return lastRun;
  };

  return {
    run,
    start() {
      if (timer || intervalMs === 0) return;
      timer = setInterval(() => {
        running = run().catch(onError);
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
    report: () => ({
      factDays: slos.retentionDays,
      grainDays: grainRetentionDays(slos),
      intervalSeconds: intervalMs === 0 ? null : intervalMs / 1000,
      lastRun,
    }),
  };
}
