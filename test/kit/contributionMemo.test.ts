import { checkDerivedMeasures } from '../../subgraphs/kit/ingest/checkDerivedMeasures.js';
import type { DataProductDeclaration } from '../../subgraphs/kit/productDeclaration.js';
import { ContributionMemo } from '../../subgraphs/kit/rollups/contributionMemo.js';
import { createProjector } from '../../subgraphs/kit/rollups/createProjector.js';
import type { StoredFact } from '../../subgraphs/kit/store/Store.js';

/** A product with two rollups, each counting how often its contribution is derived. */
function countingProduct() {
  const calls = { sales: 0, visits: 0 };
  const declaration = {
    rollups: {
      sales: {
        dimensions: ['shop'],
        measures: { orders: 'count', amount: 'sum' },
        contributions: {
          Sold: (d: { shop: string; amount: number }) => (calls.sales++, { dims: { shop: d.shop }, values: { orders: 1, amount: d.amount } }),
        },
      },
      visits: {
        dimensions: [],
        measures: { visits: 'count' },
        contributions: { Visited: () => (calls.visits++, { dims: {}, values: { visits: 1 } }) },
      },
    },
  } as unknown as DataProductDeclaration;
  return { declaration, calls };
}

const sold = (id: string, amount: number): StoredFact => ({
  source: 's',
  id,
  type: 'Sold',
  time: new Date(Date.UTC(2025, 0, 1, 10, 5)),
  data: { shop: 'a', amount },
});
const reader = { read: async () => new Map() };

describe('ContributionMemo', () => {
  it('should let the projector reuse what the check derived, for those very fact objects only, with the same deltas', async () => {
    const { declaration, calls } = countingProduct();
    const memo = new ContributionMemo();
    const check = checkDerivedMeasures(declaration, memo);
    const facts = [sold('1', 5), sold('2', 7), { ...sold('3', 1), type: 'Visited' }];
    for (const fact of facts) expect(check(fact)).toBeNull();
    expect(calls).toEqual({ sales: 2, visits: 1 });

    const remembered = await createProjector(declaration, memo)(facts, reader, { finestGrainOnly: true });
    expect(calls).toEqual({ sales: 2, visits: 1 });
    // Copies (as a repair reads facts back) are derived again, and give the same deltas.
    const derived = await createProjector(declaration, memo)(
      facts.map((fact) => ({ ...fact })),
      reader,
      { finestGrainOnly: true },
    );
    expect(calls).toEqual({ sales: 4, visits: 2 });
    expect(remembered.deltas).toEqual(derived.deltas);
    expect(remembered.deltas.map((d) => [d.rollup, d.values])).toEqual([
      ['sales', { orders: 2, amount: 12 }],
      ['sales__by', { orders: 2, amount: 12 }],
      ['visits', { visits: 1 }],
    ]);
  });

  it('should keep nothing for a fact the check rejects', async () => {
    const { declaration, calls } = countingProduct();
    const memo = new ContributionMemo();
    const bad = sold('1', Number.POSITIVE_INFINITY);
    expect(checkDerivedMeasures(declaration, memo)(bad)).toMatchObject({ field: 'data' });
    expect(memo.recall(bad)).toBeUndefined();
    expect(calls.sales).toBe(1);
  });
});
