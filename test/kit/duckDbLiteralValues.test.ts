/**
 * Values DuckDbStore writes into its SQL text as literals (`duckDbSql.stringLiteral`): the filter values of a
 * bucket statement and a live apply's held INSERTs (`DeferredInserts.ts`). Dimension values a caller
 * chooses, quotes and backslashes and an injection attempt among them, must be stored and matched exactly,
 * and one holding U+0000 must still work through a bound parameter.
 */
import { join } from 'node:path';
import { DuckDbStore } from '../../subgraphs/kit/store/DuckDbStore.js';
import { LAYOUT, MINUTE, T0, expectedRows, order, orderDeltas, projectOrders, query } from '../support/storeFixtures.js';
import { useTempStores } from '../support/useTempStores.js';

const REGIONS = ["it's", 'back\\slash', "x' OR '1'='1", "'); DROP TABLE facts; --", 'nul\u0000inside', '😀 € é', ''];

describe('DuckDbStore values written as SQL literals', () => {
  const temp = useTempStores('duckdb-literals-');

  it('should store and filter every dimension value exactly, one holding U+0000 included', async () => {
    const store = await DuckDbStore.open({ path: join(temp.dir, 'literals.duckdb'), compactIdleMs: 0, threads: 1 });
    temp.opened.push(store);
    await store.init(LAYOUT);
    // One fact per apply (the live path, its INSERTs held as literals), one region each, plus 'eu' twice.
    const facts = [...REGIONS, 'eu', 'eu'].map((region, i) => order(`o${i}`, T0 + i * MINUTE, { region, product: `p${region}` }));
    for (const fact of facts) await store.apply([fact], projectOrders);
    const deltas = facts.flatMap(orderDeltas);
    const hour = query([T0, T0 + 60 * MINUTE]);

    for (const region of REGIONS) {
      const filtered = { ...hour, filter: { region: [region] } };
      const rows = await store.queryBuckets(filtered);
      expect(rows).toEqual(expectedRows(deltas, filtered));
      expect(rows[0]?.values.count).toBe(1);
    }
    // Literal and bound values in one filter, grouped by the dimension.
    const mixed = { ...hour, filter: { region: ['nul\u0000inside', "x' OR '1'='1", 'eu'] }, groupBy: ['region'] };
    expect(await store.queryBuckets(mixed)).toEqual(expectedRows(deltas, mixed));
    expect((await store.queryBuckets(mixed)).map((row) => [row.group.region, row.values.count])).toEqual([
      ['eu', 2],
      ['nul\u0000inside', 1],
      ["x' OR '1'='1", 1],
    ]);
    // States and facts went in whole: the stock keys carry the regions, and every fact is a duplicate now.
    expect(
      (
        await store.readStates(
          'stock',
          REGIONS.map((region) => `p${region}`),
        )
      )
        .map((row) => row.key)
        .sort(),
    ).toEqual(REGIONS.map((region) => `p${region}`).sort());
    const again = await store.apply(facts, projectOrders);
    expect(again.duplicates).toHaveLength(facts.length);
  });
});
