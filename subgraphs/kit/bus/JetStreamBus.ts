import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { nuid, type NatsConnection } from '@nats-io/transport-node';
import type { Bus, BusSubscription, SubscribeOptions } from './Bus.js';
import { connectNats, type ConnectionWatch } from './jetStreamConnection.js';
import type { MeshError } from '../../../core/errors/MeshError.js';
import { publishReliably } from './jetStreamPublish.js';
import { assertNamespace, domainStreamName, ensureDomainStream, namespaceSubjectPrefix } from './jetStreamStream.js';
import { JetStreamSubscription } from './jetStreamSubscription.js';

/** Options of {@link JetStreamBus.connect}. */
export interface JetStreamBusOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** The domain whose stream this bus uses: `MESH_<DOMAIN>`, subjects `mesh.<domain>.>`. */
  domain: string;
  /**
   * Keeps this bus apart from other meshes (or test runs) on the same broker: the stream is
   * `MESH_<NAMESPACE>_<DOMAIN>` and every subject is `<namespace>.` + the subject the kit uses, on
   * publish, in subscription filters and in the stream; delivered messages carry the kit's subject
   * without it. A lowercase letter, then up to 31 lowercase letters, digits or `_`.
   * @default none: stream `MESH_<DOMAIN>`, subjects as published
   */
  namespace?: string;
  /**
   * Events older than this leave the stream; a `from` cursor before them fails with `CursorUnavailableError`.
   * @default 7 days
   */
  maxAgeMs?: number;
  /**
   * How long the stream remembers a `messageId` to drop a re-published duplicate (also what makes
   * publish retries safe).
   * @default 2 minutes
   */
  duplicateWindowMs?: number;
  /**
   * How long `publish` keeps retrying while the broker is unreachable or recovering before it rejects.
   * @default 30000
   */
  publishTimeoutMs?: number;
  /**
   * Keep retrying the FIRST connection instead of failing `connect` (for a broker that starts alongside).
   * @default false
   */
  waitOnFirstConnect?: boolean;
  /**
   * Consecutive failed reconnect attempts before the bus gives up (`lost` resolves); -1: forever.
   * @default 300 (about 5 minutes)
   */
  maxReconnectAttempts?: number;
  /** Connection name in the server's monitoring. @default `mesh-<domain>` */
  name?: string;
}

/**
 * The scale-out bus: NATS JetStream, one file-backed stream per domain, cursors are stream sequences. Every
 * replica of a subgraph publishes to the same stream and any replica's subscribers see every replica's
 * events, with replay by sequence.
 *
 * Change events are derived data: ingestion commits facts first and publishes afterwards. A publish that
 * still fails after `publishTimeoutMs` rejects; ingestion logs it (`onPublishError`) and the facts stay
 * applied — subscribers learn the new totals from the next event or a query.
 */
export class JetStreamBus implements Bus {
  /** The stream this bus publishes to and subscribes on. */
  readonly stream: string;
  /** What the namespace puts before every subject on the broker (`''` without one). */
  readonly subjectPrefix: string;
  private readonly subscriptions = new Set<JetStreamSubscription<unknown>>();
  private closed = false;

  private constructor(
    /** The NATS connection, shared with other JetStream users of the subgraph (e.g. fact ingestion). */
    readonly connection: NatsConnection,
    private readonly watch: ConnectionWatch,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    domain: string,
    private readonly publishTimeoutMs: number,
    /** See {@link JetStreamBusOptions.namespace}. */
    readonly namespace: string | undefined,
    /** Resolves when the connection gave up reconnecting (see {@link JetStreamBusOptions.maxReconnectAttempts}). */
    readonly lost: Promise<MeshError>,
  ) {
    this.stream = domainStreamName(domain, namespace);
    this.subjectPrefix = namespaceSubjectPrefix(namespace);
  }

  /** Connects, then creates the domain stream or updates its limits. */
  static async connect(options: JetStreamBusOptions): Promise<JetStreamBus> {
    const {
      servers,
      domain,
      namespace,
      maxAgeMs = 7 * 86_400_000,
      duplicateWindowMs = 120_000,
      publishTimeoutMs = 30_000,
      waitOnFirstConnect = false,
      name = `mesh-${domain}`,
      maxReconnectAttempts,
    } = options;
    assertNamespace(namespace);
    const { connection, watch, lost } = await connectNats({ servers, name, waitOnFirstConnect, maxReconnectAttempts });
    try {
      const jsm = await jetstreamManager(connection);
      await ensureDomainStream(jsm, domain, { maxAgeMs, duplicateWindowMs }, namespace);
      return new JetStreamBus(connection, watch, jetstream(connection), jsm, domain, publishTimeoutMs, namespace, lost);
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /**
   * Publishes `data` as JSON; resolves with the stream sequence once JetStream stored it. Retries through
   * a broker restart with the same `Nats-Msg-Id` (`messageId`, or a generated one), so a retry never
   * stores the event twice and an acknowledged event is never lost; rejects after `publishTimeoutMs`
   * (ingestion has committed the facts by then and only logs the failure: change events are derived).
   */
  async publish(subject: string, data: unknown, options: { messageId?: string } = {}): Promise<string> {
    if (this.closed) throw new Error('bus is closed');
    const seq = await publishReliably(this.js, this.watch, {
      subject: this.subjectPrefix + subject,
      payload: JSON.stringify(data) ?? 'null',
      messageId: options.messageId ?? nuid.next(),
      stream: this.stream,
      deadline: Date.now() + this.publishTimeoutMs,
      cancelled: () => this.closed,
    });
    return String(seq);
  }

  /**
   * An ordered consumer on ONE filter subject. With `from`, delivery starts at sequence `from + 1`;
   * without, at the first event after the stream's current end. An unavailable `from` makes the first
   * `next()` reject with `CursorUnavailableError` (see {@link JetStreamSubscription}).
   */
  subscribe<T = unknown>(subjectFilter: string, options: SubscribeOptions = {}): BusSubscription<T> {
    const subscription: JetStreamSubscription<T> = new JetStreamSubscription<T>({
      js: this.js,
      jsm: this.jsm,
      watch: this.watch,
      stream: this.stream,
      filter: this.subjectPrefix + subjectFilter,
      subjectPrefix: this.subjectPrefix,
      from: options.from,
      since: options.since,
      onEnd: () => this.subscriptions.delete(subscription),
    });
    if (this.closed) void subscription.return();
    else this.subscriptions.add(subscription);
    return subscription;
  }

  /** Ends every subscription (deleting its consumer), then drains the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.return()));
    if (this.connection.isClosed()) return;
    await this.connection.drain().catch(() => this.connection.close());
  }
}
