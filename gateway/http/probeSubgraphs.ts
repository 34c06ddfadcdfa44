import type { SubgraphAddress } from '../supergraph/subgraphAddresses.js';

/**
 * Asks every subgraph `{ __typename }` with a short timeout; returns one line per subgraph that did not
 * answer (empty when all are reachable). Any HTTP answer below 500 counts as reachable: a subgraph that
 * refuses an unsigned probe is up. A subgraph with replicas is reachable when at least one replica
 * answers (the gateway fails over to it). `headersFor` gives a subgraph's headers: the gateway's
 * identity signed for that subgraph when auth is on.
 */
export async function probeSubgraphs(
  addresses: Record<string, SubgraphAddress>,
  timeoutMs = 2000,
  headersFor: (subgraph: string) => Promise<Record<string, string>> = async () => ({}),
): Promise<string[]> {
  const results = await Promise.all(
    Object.entries(addresses).map(async ([name, { urls }]) => {
      const headers = await headersFor(name);
      const problems = await Promise.all(urls.map((url) => probe(url, timeoutMs, headers)));
      if (problems.some((problem) => problem === null)) return null;
      return urls.length === 1 ? `${name}: ${problems[0]}` : `${name}: no replica answered (${problems.join('; ')})`;
    }),
  );
  return results.filter((r): r is string => r !== null);
}

/** Null when `url` answered below 500, else what went wrong. */
async function probe(url: string, timeoutMs: number, headers: Record<string, string>): Promise<string | null> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return response.status >= 500 ? `answered ${response.status} at ${url}` : null;
  } catch (error) {
    return `unreachable at ${url} (${(error as Error).message})`;
  }
}
