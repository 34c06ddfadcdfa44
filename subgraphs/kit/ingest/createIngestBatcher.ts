import { LIVE_APPLY_MAX_FACTS } from '../store/Store.js';
import type { EventOutcome, IngestReport } from './ingestEvents.js';

/** Options of {@link createIngestBatcher}. */
export interface IngestBatcherOptions {
  /** Ingests one merged batch (`ingestEvents`): validates, applies in one store transaction, publishes. */
  ingest: (events: readonly unknown[]) => Promise<IngestReport>;
  /**
   * How long the first request of an idle batcher waits for others to join it. Requests arriving while a
   * batch is being applied always wait for it and go together in the next one, so under load batches grow
   * by themselves; this bounded wait only gathers requests that arrive at the same moment.
   * @default 2
   */
  maxWaitMs?: number;
  /**
   * Most events in one merged batch. A request is never split: one larger than this goes alone.
   * @default 5000
   */
  maxEvents?: number;
  /**
   * Most events of a request that goes in the live lane: requests this small (a producer's live facts)
   * are batched among themselves and applied beside the batches of larger ones (a backfill, a bulk
   * load), so a live fact never waits for a bulk batch to be applied, nor for the backpressure that holds
   * a bulk load back while the store catches up (`DuckDbStore`). Both lanes keep `maxWaitMs` and
   * `maxEvents`; the store still orders their writes. 0 puts every request in one lane.
   * @default 16 (`LIVE_APPLY_MAX_FACTS`, the size `DuckDbStore` lets past its backpressure)
   */
  liveMaxEvents?: number;
}

/** One waiting `ingest` call. */
interface Pending {
  events: readonly unknown[];
  resolve: (report: IngestReport) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups concurrent ingestion requests into micro-batches: one store transaction, one watermark read and
 * one round of change events for many single-fact POSTs (a transaction costs a few ms whatever its size,
 * so one per fact bounds a busy domain at a few hundred facts per second).
 *
 * Every caller still gets its own report, and only after the batch holding its events committed. When a
 * merged batch fails (the store refused it, or is down), each request of it runs again on its own, so a
 * request the store cannot hold fails alone and the others are applied; a request stays atomic.
 */
export function createIngestBatcher(options: IngestBatcherOptions): (events: readonly unknown[]) => Promise<IngestReport> {
  const { ingest, maxWaitMs = 2, maxEvents = 5_000, liveMaxEvents = LIVE_APPLY_MAX_FACTS } = options;
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) throw new RangeError(`maxWaitMs must be a non-negative number, got ${maxWaitMs}`);
  if (!Number.isSafeInteger(maxEvents) || maxEvents < 1) throw new RangeError(`maxEvents must be a positive integer, got ${maxEvents}`);
  if (!Number.isSafeInteger(liveMaxEvents) || liveMaxEvents < 0) throw new RangeError(`liveMaxEvents must be a non-negative integer, got ${liveMaxEvents}`);
  const bulk = createLane(ingest, maxWaitMs, maxEvents);
  if (liveMaxEvents === 0) return bulk;
  const live = createLane(ingest, maxWaitMs, maxEvents);
  return (events) => (events.length <= liveMaxEvents ? live(events) : bulk(events));
}

/** One lane of the batcher: one merged batch applied at a time, requests arriving meanwhile taken together next. */
function createLane(ingest: IngestBatcherOptions['ingest'], maxWaitMs: number, maxEvents: number): (events: readonly unknown[]) => Promise<IngestReport> {
  const queue: Pending[] = [];
  let queued = 0;
  let running = false;
  let timer: NodeJS.Timeout | undefined;

  const take = (): Pending[] => {
    const batch: Pending[] = [];
    let size = 0;
    while (queue.length > 0 && (batch.length === 0 || size + queue[0].events.length <= maxEvents)) {
      const next = queue.shift()!;
      size += next.events.length;
      batch.push(next);
    }
    queued -= size;
    return batch;
  };

  const drain = async () => {
    clearTimeout(timer);
    timer = undefined;
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) await runBatch(ingest, take());
    } finally {
      running = false;
    }
  };

  return (events) =>
    new Promise<IngestReport>((resolve, reject) => {
      queue.push({ events, resolve, reject });
      queued += events.length;
      if (running) return; // the loop takes it when the batch in progress has committed
      if (queued >= maxEvents || maxWaitMs === 0) void drain();
      else timer ??= setTimeout(() => void drain(), maxWaitMs);
    });
}

async function runBatch(ingest: IngestBatcherOptions['ingest'], batch: Pending[]): Promise<void> {
  if (batch.length === 1) {
    const [only] = batch;
    await ingest(only.events).then(only.resolve, only.reject);
    return;
  }
  let report: IngestReport;
  try {
    report = await ingest(batch.flatMap((pending) => pending.events));
  } catch {
    // Nothing of the merged batch was applied: each request runs alone, so only a failing one fails.
    for (const pending of batch) await ingest(pending.events).then(pending.resolve, pending.reject);
    return;
  }
  let offset = 0;
  for (const pending of batch) {
    pending.resolve(sliceReport(report, offset, pending.events.length));
    offset += pending.events.length;
  }
}

/** The part of a merged report that belongs to the request at `offset`, indexed from 0 again. */
function sliceReport(report: IngestReport, offset: number, length: number): IngestReport {
  const events: EventOutcome[] = report.events.slice(offset, offset + length).map((outcome) => ({ ...outcome, index: outcome.index - offset }));
  const count = (status: EventOutcome['status']) => events.filter((o) => o.status === status).length;
  return { applied: count('applied'), duplicates: count('duplicate'), rejected: count('rejected'), events };
}
