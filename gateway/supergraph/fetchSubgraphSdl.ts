import type { SubgraphSdl } from '../../core/apollo/index.js';

/** Where a subgraph lives. */
export interface SubgraphEndpoint {
  name: string;
  /**
   * HTTP GraphQL URL: the one composed into the supergraph (`@join__graph(url:)`). For a subgraph that
   * runs as replicas, the first replica's.
   */
  url: string;
  /**
   * HTTP GraphQL URLs of the subgraph's other replicas (docs/architecture.md "Scale-out"), after `url`. They are
   * asked for the SDL in order when `url` does not give it, and the gateway spreads queries and
   * subscriptions over `[url, ...otherReplicaUrls]`. The supergraph keeps `url` whichever replica
   * answered, so losing a replica never changes the supergraph.
   * @default [] (one instance)
   */
  otherReplicaUrls?: readonly string[];
}

/**
 * Asks a running subgraph for its SDL (`{ _service { sdl } }`), with a timeout and an error that names the
 * subgraph and what went wrong. A subgraph with replicas is asked at each URL in turn until one gives it;
 * the error then lists what every replica did.
 */
export async function fetchSubgraphSdl(endpoint: SubgraphEndpoint, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<SubgraphSdl> {
  const urls = [endpoint.url, ...(endpoint.otherReplicaUrls ?? [])];
  const failures: string[] = [];
  for (const url of urls) {
    try {
      return { name: endpoint.name, url: endpoint.url, sdl: await fetchSdlFrom(endpoint.name, url, headers, timeoutMs) };
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  if (failures.length === 1) throw new Error(failures[0]);
  throw new Error(`no replica of subgraph "${endpoint.name}" gave its SDL: ${failures.join('; ')}`);
}

async function fetchSdlFrom(name: string, url: string, headers: Record<string, string>, timeoutMs: number): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(`subgraph "${name}" at ${url} is unreachable: ${describeCause(error)}`, { cause: error });
  }
  const text = await response.text();
  let body: { data?: { _service?: { sdl?: string } }; errors?: Array<{ message: string }> };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`subgraph "${name}" at ${url} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  const sdl = body.data?._service?.sdl;
  if (!response.ok || typeof sdl !== 'string') {
    throw new Error(
      `subgraph "${name}" at ${url} did not give its SDL (${response.status}): ${body.errors?.map((e) => e.message).join('; ') ?? text.slice(0, 200)}`,
    );
  }
  return sdl;
}

/** fetch() reports a refused connection as `TypeError: fetch failed` with the socket error as its cause. */
function describeCause(error: unknown): string {
  const { cause, message } = error as Error;
  return cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : message;
}
