import { setTimeout as delay } from 'node:timers/promises';
import type { SimDomain, SimulatedFact } from './simulatedFact.js';
import { SimulatorError } from './SimulatorError.js';

/** How one subgraph is reached. */
export interface SubgraphTarget {
  domain: SimDomain;
  /** Base URL, e.g. `http://127.0.0.1:4002`; facts go to `${base}/events`. */
  base: string;
  /** Extra request headers (a producer token). Throwing counts as a failed attempt. */
  headers: () => Promise<Record<string, string>>;
  signal?: AbortSignal;
}

/** Retry policy for answers that may succeed later: network errors, 408, 429, 5xx. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Delay before the second attempt; each further one waits four times longer. */
  baseDelayMs: number;
  /** Told about every failed attempt that will be retried. */
  onRetry?: (reason: string, attempt: number, delayMs: number) => void;
}

/** What the subgraph reported about a batch (see `IngestReport`). */
export interface BatchOutcome {
  status: number;
  applied: number;
  duplicates: number;
  rejected: number;
  /** Reason of the first rejected event (it names the field, e.g. `data.quantity: ...`), when any was. */
  firstRejection?: string;
}

const retryable = (status: number) => status >= 500 || status === 408 || status === 429;

/** A batch already serialized as the JSON array `POST /events` takes (`serializeBatch`). */
export interface SerializedBatch {
  body: string;
  /** Events in it. */
  count: number;
}

/**
 * A batch as the request body, so a caller can serialize the next batch while the subgraph still works
 * on the one before (seeding: the subgraph then never waits for the simulator's `JSON.stringify`).
 */
export function serializeBatch(events: readonly SimulatedFact[]): SerializedBatch {
  return { body: JSON.stringify(events), count: events.length };
}

/**
 * Posts one batch of CloudEvents (or a batch serialized beforehand) to `${base}/events` and reads the
 * ingestion report. 200, 207 and a 400 with a report are outcomes (rejections are the caller's to log);
 * retryable failures are retried with exponential backoff, then thrown as `DOWNSTREAM_SERVICE_ERROR`;
 * other refusals throw `EVENTS_REFUSED` at once. Aborting `signal` rejects with its reason. Ingestion is
 * idempotent, so a retry never doubles.
 */
export async function postBatch(target: SubgraphTarget, events: readonly SimulatedFact[] | SerializedBatch, retry: RetryPolicy): Promise<BatchOutcome> {
  const { body } = Array.isArray(events) ? serializeBatch(events) : (events as SerializedBatch);
  return withRetries(target, retry, async () => {
    const response = await fetch(`${target.base}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json', ...(await headersOf(target)) },
      body,
      signal: target.signal,
    });
    const text = await response.text();
    const report = parseReport(text);
    if (report && (response.status === 200 || response.status === 207 || response.status === 400)) {
      const first = report.events?.find((e) => e.status === 'rejected');
      const outcome: BatchOutcome = { status: response.status, applied: report.applied, duplicates: report.duplicates, rejected: report.rejected };
      return { ok: true, value: first ? { ...outcome, firstRejection: first.reason ?? `field ${first.field}` } : outcome };
    }
    return { ok: false, status: response.status, reason: `POST /events answered ${response.status}: ${errorMessage(text)}` };
  });
}

/** What a subgraph holds already, from its descriptor. */
export interface Holdings {
  /** Facts stored (`factCount`). */
  factCount: number;
  /** Time of the latest fact applied (`asOf`), null when none or not reported. */
  asOf: Date | null;
}

/** Reads `factCount` and `asOf` from `${base}/descriptor`, retrying like `postBatch`. */
export async function fetchHoldings(target: SubgraphTarget, retry: RetryPolicy): Promise<Holdings> {
  return withRetries(target, retry, async () => {
    const response = await fetch(`${target.base}/descriptor`, { headers: { accept: 'application/json', ...(await headersOf(target)) }, signal: target.signal });
    const text = await response.text();
    if (!response.ok) return { ok: false, status: response.status, reason: `GET /descriptor answered ${response.status}: ${errorMessage(text)}` };
    const { factCount, asOf } = (safeJson(text) as { factCount?: unknown; asOf?: unknown } | undefined) ?? {};
    if (typeof factCount !== 'number')
      throw new SimulatorError('EVENTS_REFUSED', target.domain, 'GET /descriptor carries no numeric factCount; is this a data product?', response.status);
    const time = typeof asOf === 'string' ? new Date(asOf) : null;
    return { ok: true, value: { factCount, asOf: time && !Number.isNaN(time.getTime()) ? time : null } };
  });
}

/** One attempt's result: a value, or an HTTP answer that is a failure. Network errors are thrown. */
type Attempt<T> = { ok: true; value: T } | { ok: false; status: number; reason: string };

async function withRetries<T>(target: SubgraphTarget, retry: RetryPolicy, attempt: () => Promise<Attempt<T>>): Promise<T> {
  for (let n = 1; ; n++) {
    let reason: string;
    let status: number | undefined;
    try {
      const result = await attempt();
      if (result.ok) return result.value;
      if (!retryable(result.status)) throw new SimulatorError('EVENTS_REFUSED', target.domain, result.reason, result.status);
      ({ reason, status } = result);
    } catch (error) {
      if (error instanceof SimulatorError || target.signal?.aborted) throw error;
      reason = error instanceof HeadersFailed ? error.message : `${target.base} unreachable: ${describeError(error)}`;
    }
    if (n >= retry.attempts) throw new SimulatorError('DOWNSTREAM_SERVICE_ERROR', target.domain, `${reason} (gave up after ${n} attempts)`, status);
    const wait = retry.baseDelayMs * 4 ** (n - 1);
    retry.onRetry?.(reason, n, wait);
    await delay(wait, undefined, { signal: target.signal });
  }
}

/** The `headers` callback threw: reported as such rather than as an unreachable subgraph. */
class HeadersFailed extends Error {}

async function headersOf(target: SubgraphTarget): Promise<Record<string, string>> {
  try {
    return await target.headers();
  } catch (error) {
    throw new HeadersFailed(`headers() failed: ${describeError(error)}`, { cause: error });
  }
}

interface ReportBody {
  applied: number;
  duplicates: number;
  rejected: number;
  events?: Array<{ status: string; field?: string; reason?: string }>;
}

function parseReport(text: string): ReportBody | undefined {
  const body = safeJson(text) as Partial<ReportBody> | undefined;
  return body && typeof body.applied === 'number' && typeof body.duplicates === 'number' && typeof body.rejected === 'number'
    ? (body as ReportBody)
    : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The `error.message` of our JSON error bodies, else the start of the body. */
function errorMessage(text: string): string {
  const message = (safeJson(text) as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : text.slice(0, 200) || '(empty body)';
}

function describeError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}
