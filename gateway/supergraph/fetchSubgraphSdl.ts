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

/** The longest SDL answer read by default, as for any subgraph answer (`SubgraphClientConfig.maxResponseBytes`). */
export const DEFAULT_MAX_SDL_BYTES = 64 * 1024 * 1024;

/**
 * Asks a running subgraph for its SDL (`{ _service { sdl } }`), with a timeout and an error that names the
 * subgraph and what went wrong. A subgraph with replicas is asked at each URL in turn until one gives it;
 * the error then lists what every replica did. An answer longer than `maxBytes` (counted as it is read,
 * after any decompression) is cut off there and fails: a broken or hostile subgraph must not run the
 * gateway out of memory.
 */
export async function fetchSubgraphSdl(
  endpoint: SubgraphEndpoint,
  headers: Record<string, string> = {},
  timeoutMs = 5000,
  maxBytes = DEFAULT_MAX_SDL_BYTES,
): Promise<SubgraphSdl> {
  const urls = [endpoint.url, ...(endpoint.otherReplicaUrls ?? [])];
  const failures: string[] = [];
  for (const url of urls) {
    try {
      return { name: endpoint.name, url: endpoint.url, sdl: await fetchSdlFrom(endpoint.name, url, headers, timeoutMs, maxBytes) };
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  if (failures.length === 1) throw new Error(failures[0]);
  throw new Error(`no replica of subgraph "${endpoint.name}" gave its SDL: ${failures.join('; ')}`);
}

async function fetchSdlFrom(name: string, url: string, headers: Record<string, string>, timeoutMs: number, maxBytes: number): Promise<string> {
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
  const text = await readText(
    response,
    maxBytes,
    () => `subgraph "${name}" at ${url} answered more than ${maxBytes} bytes, the gateway's limit for one subgraph answer`,
  );
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

/** The body as text, read no further than `maxBytes` (decompressed): past it the body is cancelled, which closes the connection. */
async function readText(response: Response, maxBytes: number, tooLarge: () => string): Promise<string> {
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new Error(tooLarge());
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** fetch() reports a refused connection as `TypeError: fetch failed` with the socket error as its cause. */
function describeCause(error: unknown): string {
  const { cause, message } = error as Error;
  return cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : message;
}
