import { Supergraph } from '@apollo/federation-internals';

/** Where the gateway reaches a subgraph: HTTP for queries and entity fetches, websockets for subscriptions. */
export interface SubgraphAddress {
  url: string;
  wsUrl: string;
}

/**
 * Subgraph addresses from a supergraph (`@join__graph(url:)`); websocket URLs are not in the supergraph,
 * so they come from `wsOverrides` or are the HTTP URL with `ws(s)://`.
 */
export function subgraphAddresses(supergraphSdl: string, wsOverrides: Record<string, string> = {}): Record<string, SubgraphAddress> {
  const supergraph = Supergraph.build(supergraphSdl, { supportedFeatures: null });
  const addresses: Record<string, SubgraphAddress> = {};
  for (const subgraph of supergraph.subgraphs()) {
    addresses[subgraph.name] = { url: subgraph.url, wsUrl: wsOverrides[subgraph.name] ?? subgraph.url.replace(/^http/, 'ws') };
  }
  return addresses;
}
