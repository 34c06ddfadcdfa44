/**
 * The JetStream bus and broker fact ingestion against a REAL nats-server (2.9 on this machine). On the
 * shared server every bus runs in this file's own namespace and each test uses its own domain, hence its
 * own stream (`MESH_TEST_<random>_<DOMAIN>`), deleted afterwards. The restart test runs its own private
 * server, so killing it never disturbs the shared one.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CursorUnavailableError, type BusMessage } from '../../subgraphs/kit/bus/Bus.js';
import { JetStreamBus, type JetStreamBusOptions } from '../../subgraphs/kit/bus/JetStreamBus.js';
import { domainStreamName } from '../../subgraphs/kit/bus/jetStreamStream.js';
import type { JetStreamSubscription } from '../../subgraphs/kit/bus/jetStreamSubscription.js';
import { consumeFacts, factSubject, type ConsumeFactsOptions, type FactConsumer } from '../../subgraphs/kit/ingest/consumeFacts.js';
import type { EventOutcome, IngestReport } from '../../subgraphs/kit/ingest/ingestEvents.js';
import { nextValue, waitFor } from '../support/asyncWait.js';
import { describeWithNats, natsServerBinaryExists, natsUrl, startPrivateNatsServer, type PrivateNatsServer } from '../support/natsAvailable.js';
import { uniqueNamespace } from '../support/testNamespace.js';

let domainCounter = 0;
const uniqueDomain = () => `jst${Date.now().toString(36)}${++domainCounter}`;

/** A fact as producers publish it (structured-mode CloudEvent). */
const fact = (n: number) => ({
  specversion: '1.0',
  id: `fact-${n}`,
  source: 'test://producer',
  type: 'OrderPlaced',
  time: new Date(Date.UTC(2025, 0, 1, 0, 0, n % 60)).toISOString(),
  data: { n },
});

/**
 * A stand-in for `DataProductRuntime.ingest` shared by every replica: applies each source+id once, reports
 * repeats as duplicates and anything that is not an object as rejected (as validation would).
 */
function recordingIngest() {
  const applied = new Set<string>();
  const calls = { count: 0, events: 0, rejected: 0, duplicates: 0 };
  const ingest = async (events: readonly unknown[]): Promise<IngestReport> => {
    calls.count++;
    calls.events += events.length;
    const outcomes: EventOutcome[] = events.map((event, index) => {
      if (typeof event !== 'object' || event === null) return { index, status: 'rejected', source: null, id: null, field: '', reason: 'not an object' };
      const { source, id } = event as { source: string; id: string };
      const key = `${source}\u0000${id}`;
      if (applied.has(key)) return { index, status: 'duplicate', source, id };
      applied.add(key);
      return { index, status: 'applied', source, id };
    });
    const count = (status: EventOutcome['status']) => outcomes.filter((o) => o.status === status).length;
    calls.rejected += count('rejected');
    calls.duplicates += count('duplicate');
    return { applied: count('applied'), duplicates: count('duplicate'), rejected: count('rejected'), events: outcomes };
  };
  return { applied, calls, ingest };
}

/** Publishes `count` values concurrently in windows (one awaited PubAck per message). */
async function publishMany(
  bus: JetStreamBus,
  count: number,
  message: (i: number) => { subject: string; data: unknown; messageId?: string },
  window = 500,
): Promise<string[]> {
  const cursors: string[] = [];
  for (let start = 0; start < count; start += window) {
    const chunk = Array.from({ length: Math.min(window, count - start) }, (_, k) => {
      const m = message(start + k);
      return bus.publish(m.subject, m.data, { messageId: m.messageId });
    });
    cursors.push(...(await Promise.all(chunk)));
  }
  return cursors;
}

async function collect<T>(subscription: AsyncIterator<BusMessage<T>>, count: number, what: string, timeoutMs = 10_000): Promise<BusMessage<T>[]> {
  const received: BusMessage<T>[] = [];
  while (received.length < count) received.push(await nextValue(subscription, `${what} (${received.length}/${count})`, timeoutMs));
  return received;
}

describeWithNats('JetStreamBus on nats-server', () => {
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  let domain: string;
  const namespace = uniqueNamespace();
  const stream = () => domainStreamName(domain, namespace);
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    admin = await connect({ servers: natsUrl });
    jsm = await jetstreamManager(admin);
  });
  afterAll(() => admin?.close());
  beforeEach(() => {
    domain = uniqueDomain();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await jsm.streams.delete(stream()).catch(() => {});
  });

  async function openBus(options: Partial<JetStreamBusOptions> = {}): Promise<JetStreamBus> {
    const bus = await JetStreamBus.connect({ servers: natsUrl, domain, namespace, ...options });
    cleanups.push(() => bus.close());
    return bus;
  }

  function subscribe<T = unknown>(bus: JetStreamBus, filter: string, from?: string): JetStreamSubscription<T> {
    const subscription = bus.subscribe<T>(filter, { from }) as JetStreamSubscription<T>;
    cleanups.push(() => subscription.return());
    return subscription;
  }

  async function startConsumer(options: Omit<ConsumeFactsOptions, 'domain'>): Promise<FactConsumer> {
    const consumer = await consumeFacts({ domain, namespace, ...options });
    cleanups.push(() => consumer.stop());
    return consumer;
  }

  const updated = (...tokens: string[]) => ['mesh', domain, 'v1', 'sales', 'bucket-updated', ...tokens].join('.');

  it('should create the domain stream with file storage, the domain subjects and the limits', async () => {
    await openBus({ maxAgeMs: 3_600_000, duplicateWindowMs: 60_000 });

    const { config } = await jsm.streams.info(stream());

    expect(stream()).toBe(`MESH_${namespace.toUpperCase()}_${domain.toUpperCase()}`);
    expect(config).toMatchObject({ subjects: [`${namespace}.mesh.${domain}.>`], storage: 'file', max_age: 3_600_000 * 1e6, duplicate_window: 60_000 * 1e6 });
  });

  it('should keep buses of one domain in two namespaces apart: streams, subjects and delivered events', async () => {
    const other = uniqueNamespace();
    cleanups.push(() => jsm.streams.delete(domainStreamName(domain, other)).catch(() => {}));
    const mine = await openBus();
    const theirs = await openBus({ namespace: other });
    const subscription = subscribe<string>(mine, updated('>'));
    await subscription.ready;

    await theirs.publish(updated('eu'), 'theirs');
    await mine.publish(updated('eu'), 'mine');
    const [received] = await collect(subscription, 1, 'the event of my namespace');

    expect(received).toMatchObject({ data: 'mine', subject: updated('eu') });
    expect((await jsm.streams.info(stream())).state.messages).toBe(1);
    expect((await jsm.streams.info(domainStreamName(domain, other))).config.subjects).toEqual([`${other}.mesh.${domain}.>`]);
  });

  it('should deliver published events to a subscriber with increasing cursors', async () => {
    const bus = await openBus();
    const subscription = subscribe<{ n: number }>(bus, updated('>'));
    await subscription.ready;

    const cursors = [await bus.publish(updated('eu'), { n: 1 }), await bus.publish(updated('us'), { n: 2 }), await bus.publish(updated('eu'), { n: 3 })];
    const received = await collect(subscription, 3, 'published events');

    expect(received.map((m) => m.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(received.map((m) => m.cursor)).toEqual(cursors);
    expect(received.map((m) => Number(m.cursor))).toEqual([...received.map((m) => Number(m.cursor))].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(3);
    expect(received[0].subject).toBe(updated('eu'));
    expect(received[0].publishedAt).toBeInstanceOf(Date);
  });

  it('should match `*` to exactly one token and `>` to the rest', async () => {
    const bus = await openBus();
    const oneToken = subscribe<string>(bus, updated('*'));
    const rest = subscribe<string>(bus, updated('>'));
    await Promise.all([oneToken.ready, rest.ready]);

    await bus.publish(updated('eu'), 'eu');
    await bus.publish(updated('eu', 'web'), 'eu.web');
    await bus.publish(['mesh', domain, 'v1', 'stock', 'state-changed'].join('.'), 'other');
    await bus.publish(updated('us'), 'us');

    expect((await collect(oneToken, 2, '`*` events')).map((m) => m.data)).toEqual(['eu', 'us']);
    expect((await collect(rest, 3, '`>` events')).map((m) => m.data)).toEqual(['eu', 'eu.web', 'us']);
  });

  it('should store a message published twice with the same messageId once', async () => {
    const bus = await openBus();

    const first = await bus.publish(updated('eu'), { n: 1 }, { messageId: 'order-1' });
    const again = await bus.publish(updated('eu'), { n: 1 }, { messageId: 'order-1' });
    const sentinel = await bus.publish(updated('eu'), { n: 2 }, { messageId: 'order-2' });
    const received = await collect(subscribe(bus, updated('>'), '0'), 2, 'deduplicated events');

    expect(again).toBe(first);
    expect(received.map((m) => m.cursor)).toEqual([first, sentinel]);
    expect((await jsm.streams.info(stream())).state.messages).toBe(2);
  });

  it('should resume from the last cursor with exactly the 1,000 missed events, in order, then continue live', async () => {
    const bus = await openBus();
    const first = subscribe<{ n: number }>(bus, updated('>'));
    await first.ready;
    await bus.publish(updated('eu'), { n: 0 });
    const last = await nextValue(first, 'the event before the disconnect');
    await first.return();

    const startedAt = performance.now();
    const missedCursors = await publishMany(bus, 1000, (i) => ({ subject: updated(i % 2 ? 'eu' : 'us'), data: { n: i + 1 } }));
    const publishMs = performance.now() - startedAt;
    const resumed = subscribe<{ n: number }>(bus, updated('>'), last.cursor);
    const replayed = await collect(resumed, 1000, 'replayed events');
    const live = await bus.publish(updated('eu'), { n: 1001 });
    const next = await nextValue(resumed, 'the live event after the replay');

    expect(replayed.map((m) => m.data.n)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(replayed.map((m) => m.cursor)).toEqual([...missedCursors].sort((a, b) => Number(a) - Number(b)));
    expect(next).toMatchObject({ cursor: live, data: { n: 1001 } });
    console.log(`JetStreamBus: 1,000 acknowledged publishes (500 in flight) in ${publishMs.toFixed(0)} ms`);
  });

  it('should delete its consumer when the subscription returns', async () => {
    const bus = await openBus();
    const subscription = subscribe(bus, updated('>'));
    await subscription.ready;
    const consumers = async () => (await jsm.consumers.list(stream()).next()).map((c) => c.name);
    expect(await consumers()).toHaveLength(1);

    await subscription.return();

    expect(await consumers()).toEqual([]);
  });

  it('should refuse a cursor the stream no longer retains, one it never issued, and one that is not a cursor', async () => {
    const bus = await openBus();
    await publishMany(bus, 5, (i) => ({ subject: updated('eu'), data: { n: i } }));
    await jsm.streams.purge(stream());
    const newest = await bus.publish(updated('eu'), { n: 5 });

    await expect(subscribe(bus, updated('>'), '2').next()).rejects.toThrow(CursorUnavailableError);
    await expect(subscribe(bus, updated('>'), '99').next()).rejects.toThrow(/newest cursor is 6/);
    await expect(subscribe(bus, updated('>'), 'abc').next()).rejects.toThrow(CursorUnavailableError);
    // The cursor just before the oldest retained event still resumes without a gap.
    expect(await nextValue(subscribe(bus, updated('>'), '5'), 'the retained event')).toMatchObject({ cursor: newest });
  });

  it('should replay the events published since an instant, then continue live', async () => {
    const bus = await openBus();
    await bus.publish(updated('eu'), { n: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const since = new Date();
    const replayedCursors = await publishMany(bus, 3, (i) => ({ subject: updated('eu'), data: { n: i + 1 } }));
    const resumed = bus.subscribe<{ n: number }>(updated('>'), { since }) as JetStreamSubscription<{ n: number }>;
    cleanups.push(() => resumed.return());
    const replayed = await collect(resumed, 3, 'the events since the instant');
    const live = await bus.publish(updated('eu'), { n: 4 });

    expect(replayed.map((m) => m.data.n)).toEqual([1, 2, 3]);
    expect(replayed.map((m) => m.cursor)).toEqual([...replayedCursors].sort((a, b) => Number(a) - Number(b)));
    expect(await nextValue(resumed, 'the live event')).toMatchObject({ cursor: live, data: { n: 4 } });
  });

  it('should refuse an instant whose events the stream no longer all holds', async () => {
    const bus = await openBus();
    const since = new Date();
    await publishMany(bus, 3, (i) => ({ subject: updated('eu'), data: { n: i } }));
    await jsm.streams.purge(stream());

    const refused = bus.subscribe(updated('>'), { since }) as JetStreamSubscription;
    cleanups.push(() => refused.return());
    await expect(refused.next()).rejects.toThrow(/no longer all retained/);
  });

  describe('consumeFacts', () => {
    it('should let 3 replicas ingest 5,000 facts exactly once in total and acknowledge every message', async () => {
      const producer = await openBus();
      const { applied, calls, ingest } = recordingIngest();
      const perReplica = [0, 0, 0];
      for (const replica of [0, 1, 2]) {
        const connection = await connect({ servers: natsUrl });
        cleanups.push(() => connection.close());
        await startConsumer({ connection, batchSize: 100, ingest: (events) => ((perReplica[replica] += events.length), ingest(events)) });
      }

      await publishMany(producer, 5000, (i) => ({ subject: factSubject(domain, 'OrderPlaced'), data: fact(i), messageId: `fact-${i}` }));
      // A raw NATS publish, as a producer outside the kit sends it: the namespace is part of the subject.
      producer.connection.publish(factSubject(domain, 'OrderPlaced', namespace), '{not json');
      await waitFor(() => applied.size === 5000 && calls.rejected === 1, 'all facts ingested', 20_000);
      const durable = `mesh-${domain}-ingest`;
      let info = await jsm.consumers.info(stream(), durable);
      while (info.num_ack_pending + info.num_pending > 0) info = await jsm.consumers.info(stream(), durable);

      expect(applied.size).toBe(5000);
      expect(calls.events - calls.duplicates - calls.rejected).toBe(5000);
      expect(info).toMatchObject({ num_ack_pending: 0, num_pending: 0, num_redelivered: 0 });
      expect(info.delivered.stream_seq).toBe(5001);
      expect(perReplica.reduce((a, b) => a + b)).toBe(5001);
      console.log(`consumeFacts: facts per replica ${perReplica.join(' / ')}, ${calls.count} ingest calls`);
    });

    it('should deliver a batch again after ingest throws, and acknowledge it once applied', async () => {
      const producer = await openBus();
      const { applied, calls, ingest } = recordingIngest();
      let failures = 0;
      await startConsumer({
        connection: producer.connection,
        retryDelayMs: 100,
        onError: () => {},
        ingest: async (events) => {
          if (failures++ === 0) throw new Error('store is down');
          return ingest(events);
        },
      });

      await publishMany(producer, 3, (i) => ({ subject: factSubject(domain, 'OrderPlaced'), data: fact(i) }));
      await waitFor(() => applied.size === 3, 'the facts after the redelivery', 10_000);
      let info = await jsm.consumers.info(stream(), `mesh-${domain}-ingest`);
      while (info.num_ack_pending > 0) info = await jsm.consumers.info(stream(), `mesh-${domain}-ingest`);

      expect(failures).toBeGreaterThan(1);
      expect(calls.events).toBe(3);
      expect(calls.duplicates).toBe(0);
      expect(info).toMatchObject({ num_ack_pending: 0, num_pending: 0 });
    });
  });
});

const describeWithServerBinary = natsServerBinaryExists() ? describe : describe.skip;
if (!natsServerBinaryExists()) console.warn('⚠ /usr/sbin/nats-server not found — skipping the broker restart test');

describeWithServerBinary('JetStreamBus across a broker crash (private nats-server)', () => {
  let server: PrivateNatsServer;
  beforeEach(async () => {
    server = await startPrivateNatsServer();
  });
  afterEach(() => server?.dispose());

  it('should lose no acknowledged fact while the broker is killed and restarted mid-publish', async () => {
    const domain = uniqueDomain();
    const bus = await JetStreamBus.connect({ servers: server.url, domain });
    const ingestion = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const { applied, ingest } = recordingIngest();
    const consumer = await consumeFacts({ connection: ingestion, domain, ingest, onError: () => {} });
    // One subscriber reads through the crash, the other only afterwards (its consumer vanished meanwhile).
    const reading = bus.subscribe<{ id: string }>(`mesh.${domain}.facts.>`) as JetStreamSubscription<{ id: string }>;
    const live = bus.subscribe<{ id: string }>(`mesh.${domain}.facts.>`) as JetStreamSubscription<{ id: string }>;
    await Promise.all([reading.ready, live.ready]);
    const readThrough = collect(reading, 2000, 'events read through the crash', 30_000);
    try {
      const acknowledged: string[] = [];
      let restart: Promise<void> | null = null;
      for (let i = 0; i < 2000; i++) {
        // Crash the broker a third of the way in; the loop keeps publishing into the outage.
        if (i === 700)
          restart = server
            .kill()
            .then(() => new Promise((resolve) => setTimeout(resolve, 500)))
            .then(() => server.start());
        await bus.publish(factSubject(domain, 'OrderPlaced'), fact(i), { messageId: `fact-${i}` });
        acknowledged.push(`fact-${i}`);
      }
      await restart;

      const seen = await collect(live, acknowledged.length, 'events read after the crash', 20_000);
      await waitFor(() => applied.size === acknowledged.length, 'every acknowledged fact ingested', 20_000);
      const jsm = await jetstreamManager(bus.connection);
      const { state } = await jsm.streams.info(domainStreamName(domain));

      expect(state.messages).toBe(2000);
      expect(seen.map((m) => m.data.id)).toEqual(acknowledged);
      expect((await readThrough).map((m) => m.data.id)).toEqual(acknowledged);
      expect([...applied].map((key) => key.split('\u0000')[1]).sort()).toEqual([...acknowledged].sort());
    } finally {
      await Promise.all([live.return(), reading.return()]);
      await consumer.stop();
      await ingestion.close();
      await bus.close();
    }
  }, 60_000);
});
