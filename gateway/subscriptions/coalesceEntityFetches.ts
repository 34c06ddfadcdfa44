/**
 * Entity fetches of one subscription group's events, coalesced: the rest-of-plan executions of the events
 * in flight at once each fetch the same `_entities` query with their own representations, and those asked
 * in the same turn of the event loop go out as ONE request with the representations concatenated; the
 * answer is split back by position (issue #9: at 100 events/s a group spent its time on one catalog and
 * one inventory round trip per event, and events queued for seconds behind them).
 *
 * Freshness holds: a merged fetch starts after every event it serves arrived, so each event is resolved
 * with data at least as new as itself. Order holds: the group hands payloads over in upstream order
 * whatever order their fetches finish in (`createSubscriptionGroup`'s `inOrder`).
 *
 * Only requests with the same query text and the same variables besides `representations` merge; they come
 * from one group, so they carry one identity (the group's). Each event has a request deadline of its own,
 * and the events merged need not have started together (a chained fetch of an old event can merge with
 * the first fetch of a new one): the merged request goes with the context of the latest deadline, so it
 * cuts no event's fetch short, and each event whose deadline comes earlier stops waiting at its own
 * (`GATEWAY_TIMEOUT`, as the subgraph client would have answered it alone); one whose deadline has passed
 * is not merged at all. Errors located under
 * `_entities[i]` go to the event that sent representation `i`, with its own index; other errors go to
 * every event of the batch, as a failed request does.
 */
import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import { SubgraphTimeoutError } from '../upstream/SubgraphTimeoutError.js';

type ProcessOptions = Parameters<GraphQLDataSource['process']>[0];
type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

interface Waiting {
  options: ProcessOptions;
  representations: unknown[];
  resolve(response: GatewayGraphQLResponse): void;
  reject(error: unknown): void;
}

/** Most representations one merged request carries; more start another request. */
const MAX_REPRESENTATIONS = 1_000;

/** A context's request deadline (`Date.now()` time), if it has one. */
export type DeadlineOf = (context: unknown) => number | undefined;

/**
 * `dataSources` with every data source's entity fetches coalesced per turn (see the file comment).
 * `deadlineOf` gives each fetch's request deadline; without it, merged fetches go with the first one's context.
 */
export function coalesceEntityFetches(dataSources: ServiceMap, deadlineOf?: DeadlineOf): ServiceMap {
  const coalesced = Object.create(null) as ServiceMap;
  for (const [name, dataSource] of Object.entries(dataSources)) coalesced[name] = coalesce(name, dataSource, deadlineOf);
  return coalesced;
}

function coalesce(name: string, dataSource: GraphQLDataSource, deadlineOf: DeadlineOf | undefined): GraphQLDataSource {
  const send = (chunk: Waiting[]) => sendMerged(name, dataSource, chunk, deadlineOf);
  const pending = new Map<string, Waiting[]>();
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batches = [...pending.values()];
    pending.clear();
    for (const batch of batches) {
      let chunk: Waiting[] = [];
      let size = 0;
      for (const waiting of batch) {
        if (chunk.length > 0 && size + waiting.representations.length > MAX_REPRESENTATIONS) {
          void send(chunk);
          chunk = [];
          size = 0;
        }
        chunk.push(waiting);
        size += waiting.representations.length;
      }
      void send(chunk);
    }
  };

  return {
    process(options) {
      const { variables } = options.request;
      const representations: unknown = variables?.representations;
      if (!variables || !Array.isArray(representations)) return dataSource.process(options);
      const { representations: _, ...others } = variables;
      const key = `${options.request.query}\u0000${JSON.stringify(others)}`;
      return new Promise<GatewayGraphQLResponse>((resolve, reject) => {
        let batch = pending.get(key);
        if (!batch) pending.set(key, (batch = []));
        batch.push({ options, representations, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}

async function sendMerged(name: string, dataSource: GraphQLDataSource, waiting: Waiting[], deadlineOf: DeadlineOf | undefined): Promise<void> {
  const now = Date.now();
  // Without a deadline a fetch may wait as long as the subgraph's timeout: the latest of all.
  const deadline = (w: Waiting) => deadlineOf?.(w.options.context) ?? Infinity;
  let chunk = waiting;
  if (deadlineOf && chunk.length > 1) {
    // Spent already: not asked, as the subgraph client would not have asked it alone.
    for (const w of chunk) if (deadline(w) <= now) w.reject(new SubgraphTimeoutError(name, 0, false));
    chunk = chunk.filter((w) => deadline(w) > now);
    if (chunk.length === 0) return;
  }
  if (chunk.length === 1) {
    const [only] = chunk;
    dataSource.process(only.options).then(only.resolve, only.reject);
    return;
  }
  const chosen = chunk.reduce((a, b) => (deadline(b) > deadline(a) ? b : a));
  const latest = chosen.options;
  const latestDeadline = deadline(chosen);
  // Each earlier deadline ends its own wait: the merged request goes on for the others.
  const timers = chunk.flatMap((w) => {
    const own = deadline(w);
    if (own >= latestDeadline) return [];
    return [setTimeout(() => w.reject(new SubgraphTimeoutError(name, own - now, true)), own - now)];
  });
  const representations = chunk.flatMap((w) => w.representations);
  let response: GatewayGraphQLResponse;
  try {
    response = await dataSource.process({ ...latest, request: { ...latest.request, variables: { ...latest.request.variables, representations } } });
  } catch (error) {
    for (const w of chunk) w.reject(error);
    return;
  } finally {
    for (const timer of timers) clearTimeout(timer);
  }
  const entities = (response.data as { _entities?: unknown } | null | undefined)?._entities;
  let offset = 0;
  for (const waiting of chunk) {
    const start = offset;
    const end = (offset += waiting.representations.length);
    const errors = response.errors?.flatMap((error) => {
      const [root, index, ...rest] = error.path ?? [];
      if (root !== '_entities' || typeof index !== 'number') return [error];
      return index >= start && index < end ? [{ ...error, path: [root, index - start, ...rest] }] : [];
    });
    waiting.resolve({
      ...response,
      data: Array.isArray(entities) ? { ...response.data, _entities: entities.slice(start, end) } : response.data,
      errors: errors && errors.length > 0 ? errors : undefined,
    });
  }
}
