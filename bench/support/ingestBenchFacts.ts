import type { DataProductRuntime } from '../../subgraphs/kit/DataProductRuntime.js';
import { benchFact } from './benchFact.js';

/** Which bench facts to ingest: numbers `from` (inclusive) to `to` (exclusive), in batches of `batch`. */
export interface BenchFactRange {
  from: number;
  to: number;
  /** The end of the facts' 90-day window (`benchFact`). */
  end: number;
  batch: number;
}

/**
 * Ingests the bench facts of `range` through the runtime, one batch at a time, and throws on a batch not
 * applied whole (naming its first fact not applied). `afterBatch` hears how many facts are in so far.
 */
export async function ingestBenchFacts(runtime: DataProductRuntime, range: BenchFactRange, afterBatch?: (ingested: number) => void): Promise<void> {
  const { from, to, end, batch } = range;
  for (let n = from; n < to; n += batch) {
    const facts = Array.from({ length: Math.min(batch, to - n) }, (_, i) => benchFact(n + i, end));
    const report = await runtime.ingest(facts);
    if (report.applied !== facts.length) throw new Error(`batch at ${n}: ${JSON.stringify(report.events.find((e) => e.status !== 'applied'))}`);
    afterBatch?.(n + facts.length - from);
  }
}
