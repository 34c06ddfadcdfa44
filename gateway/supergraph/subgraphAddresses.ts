import { parseSupergraph, type ParsedSupergraph } from '../../core/apollo/index.js';

/**
 * Where the gateway reaches a subgraph: HTTP for queries and entity fetches, websockets for subscriptions.
 * A subgraph that runs as replicas has several of each; `url` and `wsUrl` are the first ones.
 */
export interface SubgraphAddress {
  /** The HTTP URL in the supergraph (`@join__graph(url:)`), which is `urls[0]`. */
  url: string;
  /** `wsUrls[0]`. */
  wsUrl: string;
  /** HTTP URLs of every replica (one for a subgraph without replicas). */
  urls: readonly string[];
  /** Websocket URLs of every replica. */
  wsUrls: readonly string[];
}

/** What the gateway's configuration adds to the addresses a supergraph declares. */
export interface SubgraphAddressOverrides {
  /**
   * Websocket URLs by subgraph name (of every replica), for subgraphs whose subscriptions are not on
   * their HTTP URLs with `ws(s)://`.
   * @default {}
   */
  wsUrls?: Record<string, readonly string[]>;
  /**
   * HTTP URLs of each subgraph's replicas other than the one in the supergraph, by subgraph name.
   * @default {}
   */
  otherReplicaUrls?: Record<string, readonly string[]>;
}

/**
 * Subgraph addresses from a supergraph (`@join__graph(url:)`) and the gateway's configuration: replicas
 * come after the declared URL; websocket URLs are not in the supergraph, so they come from
 * `overrides.wsUrls` or are the HTTP URLs with `ws(s)://`.
 */
export function subgraphAddresses(supergraph: string | ParsedSupergraph, overrides: SubgraphAddressOverrides = {}): Record<string, SubgraphAddress> {
  const { wsUrls = {}, otherReplicaUrls = {} } = overrides;
  const { subgraphs } = typeof supergraph === 'string' ? parseSupergraph(supergraph) : supergraph;
  const addresses: Record<string, SubgraphAddress> = {};
  for (const subgraph of subgraphs) {
    const urls = [subgraph.url, ...(otherReplicaUrls[subgraph.name] ?? [])];
    const ws = wsUrls[subgraph.name]?.length ? wsUrls[subgraph.name] : urls.map((url) => url.replace(/^http/, 'ws'));
    addresses[subgraph.name] = { url: urls[0], wsUrl: ws[0], urls, wsUrls: ws };
  }
  return addresses;
}
