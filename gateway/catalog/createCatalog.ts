import { LocalGraphQLDataSource, type GraphQLDataSource } from '@apollo/gateway';
import type { SubgraphSdl } from '../../core/apollo/index.js';
import type { SubgraphAddress } from '../supergraph/subgraphAddresses.js';
import { CATALOG_SUBGRAPH_NAME, catalogSubgraphSchema, catalogSubgraphSdl } from './catalogSubgraph.js';
import { collectDescriptors, type CollectedCatalog } from './collectDescriptors.js';
import { contractPorts, publicPorts, type PublicEndpoints } from './publicPorts.js';
import { odcsContract } from './odcsContract.js';
import { asyncApiDocument } from './asyncApiDocument.js';
import { productView, type CatalogSchema, type ProductView } from './productView.js';
import type { IdeExample } from '../ide/renderIdePage.js';

/** The catalog subgraph as composition sees it: served in-process, so its URL is not a network address. */
export const catalogLocalSubgraph: SubgraphSdl = { name: CATALOG_SUBGRAPH_NAME, url: `local://${CATALOG_SUBGRAPH_NAME}`, sdl: catalogSubgraphSdl };

/** Whether a subgraph address is one the gateway serves itself (not probed, not asked for descriptors). */
export const isLocalSubgraph = (address: SubgraphAddress) => address.url.startsWith('local://');

/** Options of the data product catalog. */
export interface CatalogOptions {
  /** The subgraphs in service now (read on every refresh, so new domains appear without a restart). */
  addresses: () => Readonly<Record<string, SubgraphAddress>>;
  /**
   * How long collected descriptors are reused before the subgraphs are asked again.
   * @default 5000
   */
  cacheMs?: number;
  /**
   * The gateway's endpoints as consumers reach them: the GraphQL output ports of every product point
   * there instead of at the subgraph (an internal address). Read on every refresh.
   * @default ports keep what the subgraph declared (tests of the catalog alone)
   */
  publicEndpoints?: () => PublicEndpoints | null;
  /**
   * The supergraph in service, for product pages (fields, scopes, lineage, examples); null before the
   * first. Read on every page.
   * @default none: product pages show the descriptor only
   */
  schema?: () => CatalogSchema | null;
}

/** The catalog: a local subgraph for `dataProducts`/`dataProduct(id)` and the human page. */
export interface Catalog {
  /** Data source that answers the catalog subgraph's fetches in-process. */
  dataSource: GraphQLDataSource;
  /** Descriptors now (cached for `cacheMs`). */
  load(): Promise<CollectedCatalog>;
  /** A product's page content, null for an unknown id. */
  view(id: string): Promise<ProductView | null>;
  /** Example operations for the IDE's tabs: each product's first query and first subscription. */
  examples(): Promise<IdeExample[]>;
  /** A product's contract documents as data (ODCS and AsyncAPI), null for an unknown id. */
  contracts(id: string): Promise<ProductContracts | null>;
}

/** A product's machine-readable contracts (see `odcsContract.ts`, `asyncApiDocument.ts`). */
export interface ProductContracts {
  odcs: Record<string, unknown>;
  asyncapi: Record<string, unknown>;
}

/**
 * The mesh's data product catalog, collected from every domain's `GET /descriptor`. Concurrent requests
 * share one collection; a subgraph that does not answer is listed as a problem, not an error.
 */
export function createCatalog(options: CatalogOptions): Catalog {
  const { addresses, cacheMs = 5000, publicEndpoints, schema = () => null } = options;
  let cached: { at: number; value: Promise<CollectedCatalog> } | null = null;
  const load = () => {
    if (!cached || Date.now() - cached.at > cacheMs) {
      const remote = Object.fromEntries(Object.entries(addresses()).filter(([, a]) => !isLocalSubgraph(a)));
      const endpoints = publicEndpoints?.() ?? null;
      const collected = collectDescriptors(remote).then((catalog) =>
        endpoints
          ? {
              ...catalog,
              products: catalog.products.map((p) => ({
                ...p,
                outputPorts: [...publicPorts(p.outputPorts, endpoints, p.subgraph), ...contractPorts(p.id, endpoints)],
              })),
            }
          : catalog,
      );
      cached = { at: Date.now(), value: collected };
    }
    return cached.value;
  };
  // The catalog's schema is built at its first fetch: building it is start-up work no first answer needs.
  let local: LocalGraphQLDataSource | null = null;
  return {
    dataSource: { process: (request) => (local ??= new LocalGraphQLDataSource(catalogSubgraphSchema(load))).process(request) },
    load,
    view: async (id) => {
      const product = (await load()).products.find((p) => p.id === id);
      return product ? productView(product, schema()) : null;
    },
    contracts: async (id) => {
      const product = (await load()).products.find((p) => p.id === id);
      if (!product) return null;
      const supergraph = schema();
      const view = productView(product, supergraph);
      const endpoints = publicEndpoints?.() ?? null;
      return { odcs: odcsContract(view, supergraph?.apiSchema ?? null, endpoints), asyncapi: asyncApiDocument(view, supergraph?.apiSchema ?? null, endpoints) };
    },
    examples: async () => {
      const supergraph = schema();
      return (await load()).products.flatMap((product) => {
        const { examples } = productView(product, supergraph);
        return (['query', 'subscription'] as const).flatMap((kind) => {
          const first = examples.find((x) => x.kind === kind);
          return first ? [{ productId: product.id, query: `# ${product.name} (${product.id})\n${first.query}` }] : [];
        });
      });
    },
  };
}
