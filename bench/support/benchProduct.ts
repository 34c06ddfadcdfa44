import path from 'node:path';
import { loadTypeDefs } from '../../subgraphs/kit/graphql/loadTypeDefs.js';
import type { Contribution } from '../../subgraphs/kit/productDeclaration.js';
import { ordersProduct } from '../../subgraphs/orders/ordersProduct.js';

/** The orders product plus an `order_value` percentiles measure, so the store benches time both sketch kinds. */
export function benchProduct() {
  const product = ordersProduct(loadTypeDefs(path.resolve('schema'), 'orders'));
  const sales = product.rollups!.sales;
  const placed = sales.contributions.OrderPlaced!;
  sales.measures = { ...sales.measures, order_value: 'percentiles' };
  sales.contributions = {
    ...sales.contributions,
    OrderPlaced: (order, time) => {
      const contribution = placed(order, time) as Contribution;
      return { ...contribution, values: { ...contribution.values, order_value: order.quantity * order.unitPrice } };
    },
  };
  return product;
}
