import type { SubgraphSdl } from './composeSubgraphs.js';

/** Where a subgraph lives. */
export interface SubgraphEndpoint {
  name: string;
  /** HTTP GraphQL URL. */
  url: string;
}

/**
 * Asks a running subgraph for its SDL (`{ _service { sdl } }`), with a timeout and an error that names the
 * subgraph and what went wrong.
 */
export async function fetchSubgraphSdl(endpoint: SubgraphEndpoint, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<SubgraphSdl> {
  let response: Response;
  try {
    response = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new Error(`subgraph "${endpoint.name}" at ${endpoint.url} is unreachable: ${(error as Error).cause ?? (error as Error).message}`);
  }
  const text = await response.text();
  let body: { data?: { _service?: { sdl?: string } }; errors?: Array<{ message: string }> };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`subgraph "${endpoint.name}" answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  const sdl = body.data?._service?.sdl;
  if (!response.ok || typeof sdl !== 'string') {
    throw new Error(`subgraph "${endpoint.name}" did not give its SDL (${response.status}): ${body.errors?.map((e) => e.message).join('; ') ?? text.slice(0, 200)}`);
  }
  return { name: endpoint.name, url: endpoint.url, sdl };
}
