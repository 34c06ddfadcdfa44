import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import { DATA_PRODUCTS_EXTENSION, type DataProductRead } from '../../../core/graphql/DataProductRead.js';

/** Fields that read no product data: the gateway's SDL polls and introspection. */
const META_FIELDS = new Set(['_service', '__typename', '__schema', '__type']);

/** Whether an operation selects any field that reads the product (fragments count as reading). */
function readsProduct(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.some((s) => s.kind !== Kind.FIELD || !META_FIELDS.has(s.name.value));
}

/**
 * Puts `extensions.dataProducts: [{ id, asOf }]` on the answer to an operation that read the product,
 * when the request asks for it (`extensions: { dataProducts: true }`, as the gateway does):
 * `asOf` is the store's watermark (the same value history results carry as `asOf`), read after the
 * operation ran, so the answer holds nothing newer. A store that cannot say leaves the answer as it is.
 */
export function useDataProductExtension(product: { id: string; watermark: () => Promise<Date | null> }): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response, operation }) {
          if (!request.extensions?.[DATA_PRODUCTS_EXTENSION]) return;
          if (response.body.kind !== 'single' || !operation || !readsProduct(operation)) return;
          const asOf = await product.watermark().then(
            (at) => at?.toISOString() ?? null,
            () => undefined,
          );
          if (asOf === undefined) return;
          const read: DataProductRead = { id: product.id, asOf };
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, [DATA_PRODUCTS_EXTENSION]: [read] };
        },
      };
    },
  };
}
