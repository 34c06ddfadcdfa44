import type { DocumentNode } from 'graphql';
import type { DataProductDefinition } from './kit/index.js';
import { catalogProduct } from './catalog/catalogProduct.js';
import { ordersProduct } from './orders/ordersProduct.js';
import { inventoryProduct } from './inventory/inventoryProduct.js';
import { shippingProduct } from './shipping/shippingProduct.js';

/** A demo domain: its data product definition (given its SDL) and default port. */
export interface DomainEntry {
  define: (typeDefs: DocumentNode) => DataProductDefinition;
  defaultPort: number;
}

/** The demo mesh's domains. A new domain adds one line here and its folder + `schema/<name>.graphql`. */
export const DOMAINS = {
  catalog: { define: catalogProduct, defaultPort: 4001 },
  orders: { define: ordersProduct, defaultPort: 4002 },
  inventory: { define: inventoryProduct, defaultPort: 4003 },
  shipping: { define: shippingProduct, defaultPort: 4004 },
} satisfies Record<string, DomainEntry>;

export type DomainName = keyof typeof DOMAINS;
export const DOMAIN_NAMES = Object.keys(DOMAINS) as DomainName[];
