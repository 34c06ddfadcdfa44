import type { SubgraphAddress } from '../supergraph/subgraphAddresses.js';
import type { SubgraphHttp } from '../upstream/createSubgraphClient.js';

/** Options of `probeSubgraphs`. */
export interface ProbeSubgraphsOptions {
  /**
   * The client probes go through: the gateway's pooled subgraph client (probes bypass its circuit
   * breakers, so they see a subgraph come back).
   */
  http: SubgraphHttp;
  /** How long one probe may take. @default 2000 */
  timeoutMs?: number;
  /**
   * A subgraph's headers: the gateway's identity signed for it when auth is on. A rejection counts as
   * that subgraph not answering.
   * @default () => ({})
   */
  headersFor?(subgraph: string): Promise<Record<string, string>>;
}

/**
 * Asks every subgraph `{ __typename }` with a short timeout; returns one line per subgraph that did not
 * answer (empty when all are reachable). Any HTTP answer below 500 counts as reachable: a subgraph that
 * refuses an unsigned probe is up. A subgraph with replicas is reachable when at least one replica
 * answers (the gateway fails over to it).
 */
export async function probeSubgraphs(addresses: Record<string, SubgraphAddress>, options: ProbeSubgraphsOptions): Promise<string[]> {
  const { http, timeoutMs = 2000, headersFor = async () => ({}) } = options;
  const results = await Promise.all(
    Object.entries(addresses).map(async ([name, { urls }]) => {
      let headers: Record<string, string>;
      try {
        headers = await headersFor(name);
      } catch (error) {
        return `${name}: no headers to probe it with (${(error as Error).message})`;
      }
      const problems = await Promise.all(urls.map((url) => probe(http, name, url, timeoutMs, headers)));
      if (problems.some((problem) => problem === null)) return null;
      return urls.length === 1 ? `${name}: ${problems[0]}` : `${name}: no replica answered (${problems.join('; ')})`;
    }),
  );
  return results.filter((r): r is string => r !== null);
}

/** Null when `url` answered below 500, else what went wrong. */
async function probe(http: SubgraphHttp, serviceName: string, url: string, timeoutMs: number, headers: Record<string, string>): Promise<string | null> {
  try {
    const response = await http.post({
      serviceName,
      url,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ __typename }' }),
      timeoutMs,
    });
    return response.status >= 500 ? `answered ${response.status} at ${url}` : null;
  } catch (error) {
    return `unreachable at ${url} (${(error as Error).message})`;
  }
}
