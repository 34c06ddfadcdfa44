import type { SubgraphAddress } from '../supergraph/subgraphAddresses.js';

/** A data product descriptor as a subgraph serves it at `GET /descriptor` (see the kit's `ServedDescriptor`). */
export interface CollectedDescriptor {
  id: string;
  name: string;
  domain: string;
  version: string;
  status: string;
  description: { purpose: string; limitations?: string; usage?: string };
  owner: { team: string; contact: string };
  slos: { freshnessSeconds: number; availability: number; retentionDays: number; queryLatencyP99Ms?: number };
  /** Field coordinate → level, derived from the SDL by the kit; absent from older subgraphs (all public). */
  classification?: Record<string, string>;
  /** What reading a field needs, derived from the SDL's auth directives; absent from older subgraphs. */
  access?: Record<string, unknown>;
  tags?: string[];
  outputPorts: Array<Record<string, unknown> & { kind: string }>;
  asOf: string | null;
  freshness: { lagSeconds: number | null; withinSlo: boolean };
  factCount: number;
  factTypes: string[];
  /** Retention as enforced (the kit's `RetentionReport`); absent from older subgraphs. */
  retention?: {
    factDays: number;
    grainDays: Partial<Record<'minute' | 'hour' | 'day', number | null>>;
    lastRun: { at: string } | null;
  };
}

/** What collecting found: descriptors, and one line per subgraph that did not answer. */
export interface CollectedCatalog {
  products: Array<CollectedDescriptor & { subgraph: string }>;
  problems: string[];
}

/** The descriptor URL of a subgraph: its GraphQL URL with the last path segment replaced. */
export function descriptorUrl(graphqlUrl: string): string {
  const url = new URL(graphqlUrl);
  url.pathname = url.pathname.replace(/\/[^/]*$/, '/descriptor');
  return url.toString();
}

/**
 * Asks every subgraph for its descriptor, in parallel with a timeout. A subgraph that is down or serves
 * no descriptor is reported, not fatal: the catalog shows what it can. A subgraph with replicas is asked
 * at each replica in turn until one answers.
 */
export async function collectDescriptors(addresses: Record<string, SubgraphAddress>, timeoutMs = 3000): Promise<CollectedCatalog> {
  const results = await Promise.all(
    Object.entries(addresses).map(async ([subgraph, { urls }]) => {
      let problem = '';
      for (const url of urls) {
        const result = await fetchDescriptor(subgraph, url, timeoutMs);
        if ('product' in result) return result;
        problem = result.problem;
      }
      return { problem };
    }),
  );
  return {
    products: results.flatMap((r) => ('product' in r && r.product ? [r.product] : [])).sort((a, b) => a.id.localeCompare(b.id)),
    problems: results.flatMap((r) => ('problem' in r && r.problem ? [r.problem] : [])),
  };
}

async function fetchDescriptor(
  subgraph: string,
  url: string,
  timeoutMs: number,
): Promise<{ product: CollectedDescriptor & { subgraph: string } } | { problem: string }> {
  try {
    const response = await fetch(descriptorUrl(url), { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return { problem: `${subgraph}: descriptor answered ${response.status}` };
    const body = (await response.json()) as CollectedDescriptor;
    if (typeof body?.id !== 'string' || typeof body?.owner?.team !== 'string') return { problem: `${subgraph}: the descriptor lacks id or owner` };
    return { product: { ...body, subgraph } };
  } catch (error) {
    // The error names the subgraph's address: the catalog page is public, so it says only which one.
    return { problem: `${subgraph}: descriptor unreachable${(error as Error).name === 'TimeoutError' ? ' (timed out)' : ''}` };
  }
}
