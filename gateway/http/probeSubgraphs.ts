import type { SubgraphAddress } from '../subgraphAddresses.js';

/**
 * Asks every subgraph `{ __typename }` with a short timeout; returns one line per subgraph that did not
 * answer (empty when all are reachable). Any HTTP answer below 500 counts as reachable: a subgraph that
 * refuses an unsigned probe is up. `headers` carry the gateway's signed identity when auth is on.
 */
export async function probeSubgraphs(addresses: Record<string, SubgraphAddress>, timeoutMs = 2000, headers: Record<string, string> = {}): Promise<string[]> {
  const results = await Promise.all(
    Object.entries(addresses).map(async ([name, { url }]) => {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: '{ __typename }' }),
          signal: AbortSignal.timeout(timeoutMs),
        });
        return response.status >= 500 ? `${name}: answered ${response.status}` : null;
      } catch (error) {
        return `${name}: unreachable at ${url} (${(error as Error).message})`;
      }
    }),
  );
  return results.filter((r): r is string => r !== null);
}
