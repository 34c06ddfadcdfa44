import type { DocumentNode } from 'graphql';
import type { DataProductDefinition, OutgoingCloudEvent } from './kit/essentials.js';
import { catalogProduct } from './catalog/catalogProduct.js';
import { ordersProduct } from './orders/ordersProduct.js';
import { inventoryProduct } from './inventory/inventoryProduct.js';
import { shippingProduct } from './shipping/shippingProduct.js';
// new-domain: imports above this line (`npm run new-domain -- <name>` adds one here)

/** A demo domain: its data product definition (given its SDL) and default port. */
export interface DomainEntry {
  define: (typeDefs: DocumentNode) => DataProductDefinition;
  /** The port its subgraph listens on unless `<DOMAIN>_PORT` says otherwise; unique among domains. */
  defaultPort: number;
  /**
   * Facts `npm start` posts to this domain once the demo is seeded, for domains the simulator does not
   * know (it tells the story of the four demo domains): given the current time, CloudEvents with ids that
   * stay the same across starts, so posting again adds nothing twice.
   * @default none
   */
  sampleFacts?: (now: Date) => OutgoingCloudEvent[];
}

/**
 * The mesh's domains: the one place that says which domains exist and where each listens by default.
 * `npm start`, `npm run subgraph` and `npm run compose` all derive addresses from here
 * ({@link domainUrls}). `npm run new-domain -- <name>` adds a line; see README.md "Adding a domain".
 */
export const DOMAINS = {
  catalog: { define: catalogProduct, defaultPort: 4001 },
  orders: { define: ordersProduct, defaultPort: 4002 },
  inventory: { define: inventoryProduct, defaultPort: 4003 },
  shipping: { define: shippingProduct, defaultPort: 4004 },
  // new-domain: entries above this line
} satisfies Record<string, DomainEntry>;

export type DomainName = keyof typeof DOMAINS;
export const DOMAIN_NAMES = Object.keys(DOMAINS) as DomainName[];

/**
 * The GraphQL URL of every domain's subgraph as `npm start` and `npm run subgraph` run it:
 * `http://<MESH_HOST>:<<DOMAIN>_PORT>/graphql`, with `127.0.0.1` and each domain's `defaultPort` when the
 * variables are unset. `env` is passed in (the caller's entry point reads the environment); `{}` gives
 * the defaults, which is what the committed `schema/supergraph.graphql` routes to.
 */
export function domainUrls(env: Readonly<Record<string, string | undefined>> = {}): Record<DomainName, string> {
  const host = env.MESH_HOST || '127.0.0.1';
  const entries = DOMAIN_NAMES.map((domain) => {
    const port = env[`${domain.toUpperCase()}_PORT`] || String(DOMAINS[domain].defaultPort);
    return [domain, `http://${host}:${port}/graphql`] as const;
  });
  return Object.fromEntries(entries) as Record<DomainName, string>;
}
