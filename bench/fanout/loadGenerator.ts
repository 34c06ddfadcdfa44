/**
 * A load generator of the fan-out benchmark, run as a child process of `bench/fanout.ts` so its CPU is
 * measured apart from the gateway's. It opens its share of graphql-ws clients (plain `ws` sockets
 * speaking graphql-transport-ws: the protocol client adds nothing to measure), subscribes each to the
 * issue's operation, and matches every event to the fact behind it: per measured fact and client a
 * count (loss and duplicates) and the latency from the fact's send time, on the machine's one clock.
 */
import { signDevToken } from '../../scripts/devToken.js';
import { createHistogram, record } from './histogram.js';
import { LeanWebSocket } from './LeanWebSocket.js';
import { now, operationOf, seqOf, SLOW_CLIENT_SUBSCRIPTIONS, type FromGenerator, type SlowClientReport, type ToGenerator } from './protocol.js';

type Start = Extract<ToGenerator, { type: 'start' }>;

interface BenchClient {
  socket: LeanWebSocket;
  /** Events received, measured or not (warm-up). */
  events: number;
  close?: { code: number; reason: string };
  /** While the slow client drains at the end: after each of its messages, and when it closes. */
  onMessage?: () => void;
  onClose?: () => void;
}

/** Connection attempts in flight at once, so 10,000 clients do not hit the gateway as one burst. */
const CONNECTING_AT_ONCE = 200;
/** A client not acknowledged by then counts as failed to connect. */
const CONNECT_TIMEOUT_MS = 30_000;

const send = (message: FromGenerator) => process.send!(message);
const clients: BenchClient[] = [];
const sentAt = new Map<number, number>();
/** Receive times of events that arrived before their fact's send time did (IPC is not ordered with TCP). */
const early = new Map<number, number[]>();
/** Per measured fact, how many times each client got its event. */
const counts = new Map<number, Uint8Array>();
/**
 * Per measured fact, when this generator's first and last client got it (`now()`): the spread between
 * them is the fan-out's burst (gateway writes plus this generator's reads), the first one's latency is
 * what lies before it (the subgraph, the gateway's rest of plan).
 */
const firstLast = new Map<number, [number, number]>();
const histogram = createHistogram();
let start: Start;
let firstSeq = Number.POSITIVE_INFINITY;
let deliveries = 0;
let totalEvents = 0;
let slow: { receivedBeforePause: number; buffered: number; paused: boolean } | undefined;

process.on('message', (message: ToGenerator) => {
  if (message.type === 'start') void connectAll(message);
  else if (message.type === 'measure') {
    firstSeq = message.firstSeq;
    if (slow) {
      // Stop reading: the kernel buffers fill, then the gateway's queue for this client does.
      slow.paused = true;
      slow.receivedBeforePause = clients[0].events;
      clients[0].socket.pause();
    }
  } else if (message.type === 'sent') {
    sentAt.set(message.seq, message.sentAt);
    for (const at of early.get(message.seq) ?? []) record(histogram, at - message.sentAt);
    early.delete(message.seq);
  } else void finish(message.endSeq);
});
process.on('disconnect', () => process.exit(0));

async function connectAll(message: Start): Promise<void> {
  start = message;
  if (message.slowClient) slow = { receivedBeforePause: 0, buffered: 0, paused: false };
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const worker = async () => {
    while (next < message.clients) {
      const index = next++;
      try {
        await connect(index);
      } catch (error) {
        failed += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECTING_AT_ONCE, message.clients) }, worker));
  if (slow) send({ type: 'slowPort', port: clients[0].socket.localPort });
  send({ type: 'connected', clients: message.clients - failed, failed, firstError });
  setInterval(() => {
    const warmClients = clients.filter((c, i) => c.events > 0 && !(slow && i === 0)).length;
    send({ type: 'progress', warmClients, events: totalEvents, deliveries, closed: clients.filter((c) => c.close).length });
  }, 1000).unref();
}

/** Opens client `index`, resolving once the gateway acknowledged it and the subscription was sent. */
async function connect(index: number): Promise<void> {
  const { wsUrl, kind, firstIndex } = start;
  // Every client is a viewer of its own (one user each, as on a real dashboard), all with the same scope:
  // the gateway shares work per scope set, and a per-user rate limit is not spent by the others.
  const token = await signDevToken({ scopes: ['orders:read'], ttlSeconds: 6 * 3600, sub: `viewer-${firstIndex + index}` });
  const operationName = kind === 'named' ? `Dashboard${firstIndex + index}` : undefined;
  return new Promise((resolve, reject) => {
    let acknowledged: NodeJS.Timeout | undefined = undefined;
    const socket = new LeanWebSocket(
      wsUrl,
      'graphql-transport-ws',
      {
        open: () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
        error: (error) => reject(error),
        close: (code, reason) => {
          client.close = { code, reason };
          client.onClose?.();
          reject(new Error(`closed ${code} ${reason}`));
        },
        message: (text, receivedAt) => {
          const message = JSON.parse(text) as { type: string; payload?: any };
          if (message.type === 'next') onEvent(index, message.payload, receivedAt);
          else if (message.type === 'connection_ack') {
            clearTimeout(acknowledged);
            // The slow client is a dashboard of SLOW_CLIENT_SUBSCRIPTIONS panels on one socket: enough messages
            // to fill the loopback kernel buffers (megabytes) and then its bound within the run.
            const subscriptions = slow && index === 0 ? SLOW_CLIENT_SUBSCRIPTIONS : 1;
            for (let id = 1; id <= subscriptions; id++) {
              socket.send(JSON.stringify({ id: String(id), type: 'subscribe', payload: { query: operationOf(operationName), operationName } }));
            }
            resolve();
          } else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
          if (client.onMessage) client.onMessage();
        },
      },
      now,
    );
    const client: BenchClient = { socket, events: 0 };
    clients[index] = client;
    acknowledged = setTimeout(() => socket.terminate(), CONNECT_TIMEOUT_MS);
  });
}

function onEvent(index: number, payload: any, receivedAt: number): void {
  const client = clients[index];
  client.events += 1;
  totalEvents += 1;
  const event = payload?.data?.orderBucketUpdated;
  const seq = event ? seqOf(start.baseMinute, event.product?.name ?? '', event.bucket?.start ?? '') : -1;
  if (seq < firstSeq) return;
  if (slow && index === 0) {
    if (slow.paused) slow.buffered += 1;
    return;
  }
  let perClient = counts.get(seq);
  if (!perClient) counts.set(seq, (perClient = new Uint8Array(start.clients)));
  perClient[index] = Math.min(255, perClient[index] + 1);
  deliveries += 1;
  const span = firstLast.get(seq);
  if (!span) firstLast.set(seq, [receivedAt, receivedAt]);
  else span[1] = receivedAt;
  const sent = sentAt.get(seq);
  if (sent !== undefined) record(histogram, receivedAt - sent);
  else early.set(seq, [...(early.get(seq) ?? []), receivedAt]);
}

async function finish(endSeq: number): Promise<void> {
  let slowReport: SlowClientReport | undefined;
  if (slow) {
    // Read what the slow client's socket holds, until the gateway's close frame or a quiet second.
    const client = clients[0];
    const port = client.socket.localPort;
    await new Promise<void>((resolve) => {
      if (client.socket.isClosed) return resolve();
      let quiet = setTimeout(resolve, 1000);
      client.onMessage = () => {
        clearTimeout(quiet);
        quiet = setTimeout(resolve, 1000);
      };
      client.onClose = () => resolve();
      client.socket.resume();
    });
    slowReport = { port, receivedBeforePause: slow.receivedBeforePause, bufferedAfterPause: slow.buffered, close: clients[0].close };
  }
  const keepingUp = slow ? start.clients - 1 : start.clients;
  let delivered = 0;
  let duplicates = 0;
  for (let seq = firstSeq; seq < endSeq; seq += 1) {
    const perClient = counts.get(seq);
    if (!perClient) continue;
    for (let i = slow ? 1 : 0; i < perClient.length; i += 1) {
      if (perClient[i] > 0) delivered += 1;
      if (perClient[i] > 1) duplicates += perClient[i] - 1;
    }
  }
  const closedByCode: Record<string, number> = {};
  for (const [i, client] of clients.entries()) {
    if (client.close && !(slow && i === 0)) closedByCode[client.close.code] = (closedByCode[client.close.code] ?? 0) + 1;
  }
  send({
    type: 'result',
    expected: (endSeq - firstSeq) * keepingUp,
    delivered,
    duplicates,
    histogram,
    closedByCode,
    slow: slowReport,
    firstLast: [...firstLast],
  });
  await Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((resolve) => {
          const { socket } = client;
          if (socket.isClosed) return resolve();
          client.onClose = () => resolve();
          socket.close(1000);
          setTimeout(() => {
            socket.terminate();
            resolve();
          }, 5000).unref();
        }),
    ),
  );
  process.exit(0);
}
