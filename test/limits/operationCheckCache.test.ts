/**
 * Limits checks remembered per document text and variables (gateway/limits/cachedOperationCheck.ts): a
 * text sent again is parsed and measured once more and then remembered, one sent once is not kept;
 * different variables, a new schema or new cost directives (a new supergraph) are measured again, and a
 * refusal is never remembered as an admission.
 */
import { buildSchema } from 'graphql';
import { cachedOperationCheck } from '../../gateway/limits/cachedOperationCheck.js';
import { DEFAULT_OPERATION_LIMITS } from '../../gateway/limits/OperationLimits.js';
import { NO_COST_DIRECTIVES, type CostDirectives } from '../../gateway/limits/readCostDirectives.js';

const SDL = `type Item { id: ID! name: String children: [Item!]! }
  type Query { items(first: Int): [Item!]! item: Item pricey: Int }`;
const schema = buildSchema(SDL);
// `{ items(first: $n) { children { id } } }` costs 11 × $n with `first` as the slicing argument.
const limits = { ...DEFAULT_OPERATION_LIMITS, maxCost: 100, defaultListSize: 10 };
const SLICED: CostDirectives = { ...NO_COST_DIRECTIVES, listSizes: new Map([['Query.items', { slicingArguments: ['first'] }]]) };
const ITEMS = 'query Items($n: Int) { items(first: $n) { children { id } } }';

describe('cachedOperationCheck', () => {
  it('should hand back the same admission for the same text and variables from the second sighting on', () => {
    const check = cachedOperationCheck({ limits, costs: () => SLICED });
    const first = check(ITEMS, { n: 5 }, schema);
    const second = check(ITEMS, { n: 5 }, schema);
    expect(first.ok).toBe(true);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    expect(check(ITEMS, { n: 5 }, schema)).toBe(second);
    expect(check(ITEMS, { n: 5 }, schema)).toBe(second);
  });

  it('should not keep the documents of texts sent once, however many', () => {
    const check = cachedOperationCheck({ limits, costs: () => SLICED, maxEntries: 10, maxSeenOnceChars: 10 * ITEMS.length });
    const kept = (() => {
      check(ITEMS, { n: 5 }, schema);
      return check(ITEMS, { n: 5 }, schema);
    })();
    // Many one-off texts (one name per client) neither evict the remembered one nor get remembered.
    for (let i = 0; i < 100; i += 1) check(`query Viewer${i} { items { id } }`, undefined, schema);
    expect(kept.ok).toBe(true);
    expect(check(ITEMS, { n: 5 }, schema)).toBe(kept);
    const once = 'query Once { items { id } }';
    const firstOnce = check(once, undefined, schema);
    expect(firstOnce.ok).toBe(true);
    expect(check(once, undefined, schema)).not.toBe(firstOnce);
  });

  it('should measure again with other variables (the cost reads list sizes from them)', () => {
    const check = cachedOperationCheck({ limits, costs: () => SLICED });
    expect(check(ITEMS, { n: 5 }, schema).ok).toBe(true);
    const refused = check(ITEMS, { n: 5000 }, schema);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error.extensions.code).toBe('COST_ESTIMATED_TOO_EXPENSIVE');
    // Still refused the second time: refusals are not remembered as admissions.
    expect(check(ITEMS, { n: 5000 }, schema).ok).toBe(false);
    expect(check(ITEMS, { n: 5 }, schema).ok).toBe(true);
  });

  it('should measure again once the cost directives change (a new supergraph)', () => {
    let costs: CostDirectives = NO_COST_DIRECTIVES;
    const check = cachedOperationCheck({ limits, costs: () => costs });
    const query = '{ pricey }';
    expect(check(query, undefined, schema).ok).toBe(true);
    costs = { ...NO_COST_DIRECTIVES, fieldWeights: new Map([['Query.pricey', 1000]]) };
    const refused = check(query, undefined, schema);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error.extensions.code).toBe('COST_ESTIMATED_TOO_EXPENSIVE');
  });

  it('should measure again against a new schema', () => {
    const check = cachedOperationCheck({ limits, costs: () => NO_COST_DIRECTIVES });
    const query = '{ item { children { children { id } } } }';
    // 1 + 10 + 100 with `children` a list (over the limit of 100); 3 once it is a single item.
    expect(check(query, undefined, schema).ok).toBe(false);
    const single = buildSchema(SDL.replace('children: [Item!]!', 'children: Item'));
    expect(check(query, undefined, single).ok).toBe(true);
    expect(check(query, undefined, schema).ok).toBe(false);
  });
});
