/**
 * What the fan-out benchmark's processes agree on: the operation the clients run, how a fact's sequence
 * number maps to the one bucket event it causes, and the IPC messages between the orchestrator
 * (`bench/fanout.ts`) and its load generators (`loadGenerator.ts`).
 *
 * Every measured fact lands in a bucket of its own: fact `seq` is an order for product `seq % PRODUCTS`
 * in the minute `seq / PRODUCTS` minutes before the run's base minute. The orders subgraph then emits
 * exactly one `orderBucketUpdated` event for it, and a receiver reads `seq` back from the event's
 * product name and bucket start, so every event is matched without extra fields in the payload.
 */

/** Products the facts rotate over (seeded in catalog and inventory). */
export const PRODUCTS = 16;
const MINUTE = 60_000;

export const productIdOf = (index: number) => `fanout-${index}`;
export const productNameOf = (index: number) => `Fanout product ${index}`;

/** The minute (epoch ms) fact `seq` falls in: one minute per PRODUCTS facts, going back from `baseMinute`. */
export const minuteOf = (baseMinute: number, seq: number) => baseMinute - (1 + Math.floor(seq / PRODUCTS)) * MINUTE;

/** The sequence number of the fact behind an event, or -1 when the event is not one of ours. */
export function seqOf(baseMinute: number, productName: string, bucketStart: string): number {
  const prefix = productNameOf(0).slice(0, -1);
  const index = productName.startsWith(prefix) && /^\d+$/.test(productName.slice(prefix.length)) ? Number(productName.slice(prefix.length)) : -1;
  const minutesBack = (baseMinute - Date.parse(bucketStart)) / MINUTE - 1;
  if (!Number.isInteger(index) || index < 0 || index >= PRODUCTS || !Number.isInteger(minutesBack) || minutesBack < 0) return -1;
  return minutesBack * PRODUCTS + index;
}

/** The subscription of the issue (#9), named per client in the `named` scenario. */
export function operationOf(operationName: string | undefined): string {
  const name = operationName ? ` ${operationName}` : '';
  return `subscription${name} { orderBucketUpdated(granularity: MINUTE) { cursor bucket { start orders units } product { name stock { onHand } } } }`;
}

export type ScenarioKind = 'identical' | 'named' | 'slow';

/** The wall clock shared by every process on the machine, with sub-millisecond resolution. */
export const now = () => performance.timeOrigin + performance.now();

/** Orchestrator → load generator. */
export type ToGenerator =
  | {
      type: 'start';
      wsUrl: string;
      /** Clients this generator opens, and the global index of its first (for operation names). */
      clients: number;
      firstIndex: number;
      kind: ScenarioKind;
      baseMinute: number;
      /** This generator's first client never reads once measuring starts (the `slow` scenario). */
      slowClient: boolean;
    }
  /** Facts from `firstSeq` on are measured; the slow client stops reading now. */
  | { type: 'measure'; firstSeq: number }
  /** Fact `seq` was sent at `sentAt` (`now()`), just before its POST. */
  | { type: 'sent'; seq: number; sentAt: number }
  /** Report the results for facts `firstSeq` ≤ seq < `endSeq`, then close every client. */
  | { type: 'finish'; endSeq: number };

/** What a generator reports about the slow client. */
export interface SlowClientReport {
  /** Its local port, to find the gateway's side of the connection in /proc/net/tcp. */
  port: number;
  /** Events it had received (read) before it stopped reading. */
  receivedBeforePause: number;
  /** Measured events found in its socket buffer once it read again at the end. */
  bufferedAfterPause: number;
  /** The close frame found after reading again, if the gateway closed it. */
  close?: { code: number; reason: string };
}

/** Load generator → orchestrator. */
export type FromGenerator =
  | { type: 'connected'; clients: number; failed: number; firstError?: string }
  | { type: 'progress'; warmClients: number; events: number; deliveries: number; closed: number }
  | { type: 'slowPort'; port: number }
  | {
      type: 'result';
      /** Deliveries to the clients that keep up (the slow client is reported apart). */
      expected: number;
      delivered: number;
      duplicates: number;
      /** Latency histogram (see `histogram.ts`). */
      histogram: number[];
      /** Clients closed by the gateway before the end, by close code. */
      closedByCode: Record<string, number>;
      slow?: SlowClientReport;
      /** Per measured fact `[seq, [first, last]]`: when this generator's first and last client got it (`now()`). */
      firstLast: Array<[number, [number, number]]>;
    };

/** Subscriptions the slow client runs on its one socket (the bench gateway allows that many, benchMesh.ts). */
export const SLOW_CLIENT_SUBSCRIPTIONS = 200;
