import type { DataProductDeclaration } from '../../subgraphs/kit/productDeclaration.js';

/** Orders by region and channel with every measure kind and a `region` projection: the DuckDB compaction tests' product. */
export const PROJECTED_ORDERS = {
  facts: {},
  rollups: {
    orders: {
      dimensions: ['region', 'channel'],
      measures: { amount: 'sum', count: 'count', low: 'min', high: 'max', buyers: 'distinct' },
      projections: [['region']],
      contributions: {
        OrderPlaced: (o: { region: string; channel: string; amount: number; customer: string }) => ({
          dims: { region: o.region, channel: o.channel },
          values: { amount: o.amount, count: 1, low: o.amount, high: o.amount, buyers: o.customer },
        }),
      },
    },
  },
} as unknown as DataProductDeclaration;
