import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLDataSource } from '@apollo/gateway';
import { DATA_PRODUCTS_EXTENSION, type DataProductRead } from '../../core/graphql/DataProductRead.js';

/** The gateway's half of response freshness: a data source wrapper that collects, a plugin that answers. */
export interface DataProductsExtension {
  /** Wraps a subgraph's data source: the `extensions.dataProducts` of its answers are kept for the operation. */
  wrap(dataSource: GraphQLDataSource): GraphQLDataSource;
  /** Puts the collected reads on the gateway's response as `extensions.dataProducts`. */
  plugin: ApolloServerPlugin;
}

const isRead = (value: unknown): value is DataProductRead =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as DataProductRead).id === 'string' &&
  ((value as DataProductRead).asOf === null || typeof (value as DataProductRead).asOf === 'string');

/**
 * @apollo/gateway drops subgraph response `extensions` when it merges fetch results, so the reads are
 * taken from each fetch's answer here, keyed by the operation's context object (the one Apollo Server
 * hands to every data source of that operation). A product read by several fetches is listed once,
 * with its oldest `asOf`: the answer is at least that fresh, not more.
 */
export function useDataProductsExtension(): DataProductsExtension {
  const reads = new WeakMap<object, Map<string, string | null>>();
  const collect = (context: unknown, found: unknown) => {
    const into = typeof context === 'object' && context !== null ? reads.get(context) : undefined;
    if (!into || !Array.isArray(found)) return;
    for (const read of found.filter(isRead)) {
      const known = into.get(read.id);
      if (!into.has(read.id) || (read.asOf !== null && (known === null || known === undefined || read.asOf < known))) into.set(read.id, read.asOf);
    }
  };
  return {
    wrap(dataSource) {
      const collecting = Object.create(dataSource) as GraphQLDataSource;
      collecting.process = async (options) => {
        // Subgraphs answer the extension when asked (see subgraphs/kit/graphql/useDataProductExtension.ts).
        options.request.extensions = { ...options.request.extensions, [DATA_PRODUCTS_EXTENSION]: true };
        const response = await dataSource.process(options);
        if ('context' in options) collect(options.context, response.extensions?.[DATA_PRODUCTS_EXTENSION]);
        return response;
      };
      return collecting;
    },
    plugin: {
      async requestDidStart({ contextValue }) {
        reads.set(contextValue, new Map());
        return {
          async willSendResponse({ response }) {
            const found = reads.get(contextValue);
            if (response.body.kind !== 'single' || !found?.size) return;
            const result = response.body.singleResult;
            const list: DataProductRead[] = [...found].sort(([a], [b]) => a.localeCompare(b)).map(([id, asOf]) => ({ id, asOf }));
            result.extensions = { ...result.extensions, [DATA_PRODUCTS_EXTENSION]: list };
          },
        };
      },
    },
  };
}
