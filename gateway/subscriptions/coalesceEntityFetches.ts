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
 * from one group, so they carry one identity (the group's), and the merged request goes with the first
 * event's context: its request deadline, started when that event's fetches began (in the same turn as the
 * others', so no later than theirs). Errors located under
 * `_entities[i]` go to the event that sent representation `i`, with its own index; other errors go to
 * every event of the batch, as a failed request does.
 */
import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';

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

/** `dataSources` with every data source's entity fetches coalesced per turn (see the file comment). */
export function coalesceEntityFetches(dataSources: ServiceMap): ServiceMap {
  const coalesced = Object.create(null) as ServiceMap;
  for (const [name, dataSource] of Object.entries(dataSources)) coalesced[name] = coalesce(dataSource);
  return coalesced;
}

function coalesce(dataSource: GraphQLDataSource): GraphQLDataSource {
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
          void send(dataSource, chunk);
          chunk = [];
          size = 0;
        }
        chunk.push(waiting);
        size += waiting.representations.length;
      }
      void send(dataSource, chunk);
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

async function send(dataSource: GraphQLDataSource, chunk: Waiting[]): Promise<void> {
  if (chunk.length === 1) {
    const [only] = chunk;
    dataSource.process(only.options).then(only.resolve, only.reject);
    return;
  }
  const first = chunk[0].options;
  const representations = chunk.flatMap((waiting) => waiting.representations);
  let response: GatewayGraphQLResponse;
  try {
    response = await dataSource.process({ ...first, request: { ...first.request, variables: { ...first.request.variables, representations } } });
  } catch (error) {
    for (const waiting of chunk) waiting.reject(error);
    return;
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
