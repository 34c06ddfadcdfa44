import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { wrapAsyncIterator } from '../../core/async/wrapAsyncIterator.js';
import { CursorUnavailableError, type Bus, type BusMessage } from './bus/Bus.js';
import type { DataProductDeclaration, ProductContext } from './productDeclaration.js';
import type { OutputPort, ServedDescriptor } from './descriptor.js';
import { bucketUpdatedFilter, stateChangedSubject, type BucketUpdatedEvent, type StateChangedEvent } from './ingest/changeSubjects.js';
import { ingestEvents, type IngestReport } from './ingest/ingestEvents.js';
import { createIngestBatcher, type IngestBatcherOptions } from './ingest/createIngestBatcher.js';
import { checkDerivedMeasures } from './ingest/checkDerivedMeasures.js';
import { queryHistory, type HistoryLimits, type HistoryRequest, type HistoryResult, type HistorySeries } from './history/queryHistory.js';
import { createProjector } from './rollups/createProjector.js';
import { ContributionMemo } from './rollups/contributionMemo.js';
import { measuresValues } from './rollups/rollupLayout.js';
import { rollupProjections } from './rollups/rollupProjections.js';
import { storeRollupLayouts } from './rollups/storeRollupLayouts.js';
import type { StateRow, StateListQuery, Store } from './store/Store.js';
import { describeProduct, type PortAddresses } from './describeProduct.js';
import { isIsoTimestamp } from '../../core/graphql/isoTimestamp.js';
import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { productRepair, type ProductRepair } from './repair/productRepair.js';
import { productRetention, type ProductRetention } from './repair/productRetention.js';
import { EventScopes, type EventScopesOptions } from './graphql/EventScopes.js';
import { changeSubscription, type ChangeSubscriptionOptions } from './graphql/changeSubscription.js';

/** Options of a running data product. */
export interface DataProductRuntimeOptions {
  /** Where facts, rollups and states live. */
  store: Store;
  /** Where change events go. */
  bus: Bus;
  /**
   * How far behind the watermark a late fact may be and still revise its bucket; older facts are
   * dead-lettered with a reason.
   * @default 7 days
   */
  latenessMs?: number;
  /**
   * Clock-skew tolerance: facts timed further in the future are rejected.
   * @default 5 minutes
   */
  maxFutureMs?: number;
  /** Bounds on one history answer. @default { maxBuckets: 10000, maxPoints: 100000 } */
  limits?: Partial<HistoryLimits>;
  /** Clock, injectable for tests. @default () => new Date() */
  now?: () => Date;
  /** Called when change events could not be published after facts were committed. @default console.error */
  onPublishError?: (error: unknown) => void;
  /** How many recent change events keep their shared work (see `graphql/EventScopes.ts`). @default { capacity: 256 } */
  eventScopes?: EventScopesOptions;
  /**
   * Micro-batching of concurrent ingestion requests (see `ingest/createIngestBatcher.ts`).
   * @default { maxWaitMs: 2, maxEvents: 5000, liveMaxEvents: 16 }
   */
  ingestBatching?: Omit<IngestBatcherOptions, 'ingest'>;
  /**
   * How often the descriptor's retention SLO is enforced (facts and fine grains past the window deleted,
   * see `repair/productRetention.ts`); the first run is one interval after start. 0 disables the schedule.
   * @default 3_600_000 (hourly)
   */
  retentionIntervalMs?: number;
  /**
   * Called once per change event and sharing key when a subscription field (`changeSubscription`) has
   * computed its value, with the seconds since the event was published (e.g. a metrics histogram).
   */
  onChangeEventComputed?: (secondsSincePublished: number) => void;
}

/**
 * A data product at run time: ingestion, history, states, change events and the descriptor, over a store
 * and a bus. Transport-free: `serveDataProduct` puts HTTP and websockets in front of it.
 */
export class DataProductRuntime<D extends DataProductDeclaration = DataProductDeclaration> {
  readonly domain: string;
  /** Retract, restore and rebuild: the repair path for facts that were accepted but are wrong. */
  readonly repair: ProductRepair;
  /** Enforces the retention SLO on a schedule; `run` enforces it now. */
  readonly retention: ProductRetention;
  /** The work of resolving each change event, shared by every subscription that delivers it. */
  readonly eventScopes: EventScopes;
  /** Ports on event-mesh brokers, set by the bridge (`subgraphs/kit/eventMesh/startEventMesh.ts`) when it runs. */
  eventMeshPorts: OutputPort[] = [];
  private readonly limits: HistoryLimits;
  private readonly ingestDependencies: Parameters<typeof ingestEvents>[0];
  private readonly batchedIngest: (events: readonly unknown[]) => Promise<IngestReport>;
  private readonly onChangeEventComputed: ((secondsSincePublished: number) => void) | undefined;

  private constructor(
    readonly definition: D,
    readonly store: Store,
    readonly bus: Bus,
    options: DataProductRuntimeOptions,
  ) {
    const {
      latenessMs = 7 * 86_400_000,
      maxFutureMs = 300_000,
      now = () => new Date(),
      onPublishError = (e: unknown) => console.error('change event publish failed', e),
    } = options;
    this.domain = definition.descriptor.domain;
    this.onChangeEventComputed = options.onChangeEventComputed;
    this.limits = { maxBuckets: 10_000, maxPoints: 100_000, ...options.limits };
    // Contributions derived by the check before a batch's apply serve its projection too.
    const contributions = new ContributionMemo();
    this.ingestDependencies = {
      domain: this.domain,
      facts: definition.facts,
      store,
      bus,
      project: createProjector(definition, contributions),
      subjectDimensions: Object.fromEntries(Object.entries(definition.rollups ?? {}).map(([name, r]) => [name, r.subjectDimensions ?? []])),
      latenessMs,
      maxFutureMs,
      now,
      onPublishError,
      checkFact: checkDerivedMeasures(definition, contributions),
    };
    this.batchedIngest = createIngestBatcher({ ...options.ingestBatching, ingest: (events) => ingestEvents(this.ingestDependencies, events) });
    this.repair = productRepair({ ...this.ingestDependencies, definition });
    this.retention = productRetention({ store, slos: definition.descriptor.slos, latenessMs, now, intervalMs: options.retentionIntervalMs });
    this.retention.start();
    this.eventScopes = new EventScopes(options.eventScopes);
  }

  /** Creates the store layout and returns a running product. */
  static async start<D extends DataProductDeclaration>(definition: D, options: DataProductRuntimeOptions): Promise<DataProductRuntime<D>> {
    await options.store.init({
      rollups: storeRollupLayouts(definition.rollups ?? {}),
      states: Object.keys(definition.states ?? {}),
    });
    return new DataProductRuntime(definition, options.store, options.bus, options);
  }

  /**
   * Ingests CloudEvents (single or batch) through validation, dedupe and one atomic apply; concurrent calls
   * share a micro-batch (one transaction), each answered once its events are committed.
   */
  ingest(events: readonly unknown[]): Promise<IngestReport> {
    return this.batchedIngest(events);
  }

  /** History of a rollup over a range, granularity, groups and filters. */
  history(rollup: string, request: HistoryRequest): Promise<HistoryResult> {
    return queryHistory(this.store, this.rollup(rollup), request, this.limits);
  }

  /**
   * Per-request loader of one entity's history: all entities asked in one tick with the same arguments
   * are answered by ONE store query grouped by `dimension` (the N+1 problem solved for `Product.sales`).
   */
  historyLoader(context: ProductContext, rollup: string, dimension: string): DataLoader<{ id: string; request: HistoryRequest }, HistorySeries> {
    return this.perRequest(
      context,
      `history:${rollup}:${dimension}`,
      () =>
        new DataLoader<{ id: string; request: HistoryRequest }, HistorySeries, string>(
          async (keys) => {
            const byRequest = new Map<string, { request: HistoryRequest; ids: string[] }>();
            for (const key of keys) {
              const id = JSON.stringify(key.request);
              const entry = byRequest.get(id) ?? { request: key.request, ids: [] };
              entry.ids.push(key.id);
              byRequest.set(id, entry);
            }
            const answers = new Map<string, HistorySeries>();
            await Promise.all(
              [...byRequest.entries()].map(async ([requestId, { request, ids }]) => {
                const result = await this.history(rollup, { ...request, groupBy: [dimension], filter: { ...request.filter, [dimension]: ids } });
                for (const group of result.groups) answers.set(`${requestId}\u0000${group.key[dimension]}`, group);
                for (const id of ids) {
                  if (!answers.has(`${requestId}\u0000${id}`)) answers.set(`${requestId}\u0000${id}`, this.emptySeries(rollup, result));
                }
              }),
            );
            return keys.map((key) => answers.get(`${JSON.stringify(key.request)}\u0000${key.id}`)!);
          },
          { cacheKeyFn: (key) => `${JSON.stringify(key.request)}\u0000${key.id}` },
        ),
    );
  }

  /** Per-request loader of keyed state values: one store query per batch of keys. */
  stateLoader(context: ProductContext, state: string): DataLoader<string, StateRow | null> {
    return this.perRequest(
      context,
      `state:${state}`,
      () =>
        new DataLoader<string, StateRow | null>(async (keys) => {
          const rows = await this.store.readStates(state, [...keys]);
          const byKey = new Map(rows.map((r) => [r.key, r]));
          return keys.map((k) => byKey.get(k) ?? null);
        }),
    );
  }

  /** A page of keyed state rows. */
  listStates(query: StateListQuery): Promise<StateRow[]> {
    return this.store.listStates(query);
  }

  /** Change events of a rollup, narrowed by leading subject dimension values (undefined = any). */
  bucketUpdates(rollup: string, subjectValues: ReadonlyArray<string | undefined> = [], from?: string): AsyncIterableIterator<BusMessage<BucketUpdatedEvent>> {
    this.rollup(rollup);
    const filter = bucketUpdatedFilter(this.domain, rollup, subjectValues, (this.definition.rollups?.[rollup]?.subjectDimensions ?? []).length);
    return this.subscribe<BucketUpdatedEvent>(filter, from);
  }

  /** Change events of a keyed state. */
  stateChanges(state: string, from?: string): AsyncIterableIterator<BusMessage<StateChangedEvent>> {
    if (!this.definition.states?.[state]) throw new Error(`unknown state "${state}"`);
    return this.subscribe<StateChangedEvent>(stateChangedSubject(this.domain, state), from);
  }

  /**
   * A subscription field (`{ subscribe, resolve }` for the resolver map) over change events: each event's
   * value is computed once per distinct arguments and shared by every subscription that delivers it, and
   * fields nested under it are resolved with loaders of that event (never of an earlier one).
   */
  changeSubscription<Args extends Record<string, unknown>, Message, Value>(options: ChangeSubscriptionOptions<Args, Message, Value>) {
    return changeSubscription(this.eventScopes, options, this.onChangeEventComputed);
  }

  /** The descriptor with live freshness and output ports at the given addresses. */
  describe(addresses: PortAddresses): Promise<ServedDescriptor> {
    return describeProduct(this, addresses);
  }

  /** Closes the bus subscriptions and the store. */
  async close(): Promise<void> {
    await this.retention.stop();
    await this.bus.close();
    await this.store.close();
  }

  /**
   * A bus subscription whose cursor errors carry the public `CURSOR_UNAVAILABLE` code, whether the bus
   * refuses the cursor at once (in-process) or on the first `next()` (JetStream checks asynchronously).
   * `from` is a cursor (resume after that event) or an ISO 8601 timestamp (the events published since then:
   * how the gateway resumes a subscription that has seen no event, hence no cursor, yet).
   */
  private subscribe<T>(filter: string, from: string | undefined): AsyncIterableIterator<BusMessage<T>> {
    const coded = (error: unknown) =>
      error instanceof CursorUnavailableError ? new GraphQLError(error.message, { extensions: { code: ErrorCode.CURSOR_UNAVAILABLE } }) : error;
    let source: AsyncIterableIterator<BusMessage<T>>;
    try {
      source = this.bus.subscribe<T>(filter, isIsoTimestamp(from) ? { since: new Date(from) } : { from });
    } catch (error) {
      throw coded(error);
    }
    return wrapAsyncIterator(source, () => source.next().catch((error: unknown) => Promise.reject(coded(error))));
  }

  private rollup(name: string) {
    const rollup = this.definition.rollups?.[name];
    if (!rollup) throw new Error(`unknown rollup "${name}"`);
    return { name, dimensions: rollup.dimensions, measures: rollup.measures, projections: rollupProjections(name, rollup), dayZones: rollup.dayZones ?? [] };
  }

  /** The series of an entity with no facts in range: sums, counts and distinct counts 0, averages/min/max/percentiles null. */
  private emptySeries(rollup: string, like: HistorySeries): HistorySeries {
    const measures = this.rollup(rollup).measures;
    const empty = () => measuresValues(measures, {});
    return { buckets: like.buckets.map((b) => ({ start: b.start, end: b.end, complete: b.complete, values: empty() })), total: empty() };
  }

  private perRequest<T>(context: ProductContext, key: string, create: () => T): T {
    let loader = context.loaders.get(key) as T | undefined;
    if (!loader) {
      loader = create();
      context.loaders.set(key, loader);
    }
    return loader;
  }
}
