import { composeServices } from '@apollo/composition';
import { buildSchema, parse } from 'graphql';
import { checkOperation } from '../../gateway/limits/checkOperation.js';
import { measureOperation } from '../../gateway/limits/measureOperation.js';
import { DEFAULT_OPERATION_LIMITS } from '../../gateway/limits/OperationLimits.js';
import { NO_COST_DIRECTIVES, readCostDirectives } from '../../gateway/limits/readCostDirectives.js';

const schema = buildSchema(`
  enum Granularity { MINUTE HOUR DAY WEEK MONTH }
  enum Dim { REGION CHANNEL }
  input TimeRangeInput { from: String! to: String! }
  enum ComparePeriod { PREVIOUS_PERIOD SAME_PERIOD_LAST_YEAR }
  input RollingWindowInput { buckets: Int! }
  type Bucket { start: String orders: Int }
  type History { buckets: [Bucket!]! total: Bucket groups: [History!]! }
  type Item { id: ID! name: String children: [Item!]! }
  type Query {
    history(range: TimeRangeInput!, granularity: Granularity!, groupBy: [Dim!], compareTo: ComparePeriod, rolling: RollingWindowInput): History
    items(first: Int = 10): [Item!]!
    item: Item
    pricey: Int
  }
`);

/** A fragment chain F0..Fk where each spreads the previous one twice: 2^k selections expanded. */
function fragmentBomb(k: number): string {
  const fragments = ['fragment F0 on Item { name }'];
  for (let i = 1; i <= k; i++) fragments.push(`fragment F${i} on Item { ...F${i - 1} ...F${i - 1} }`);
  return `query Bomb { item { ...F${k} } }\n${fragments.join('\n')}`;
}

const measure = (source: string, variables?: Record<string, unknown>, costs = NO_COST_DIRECTIVES) =>
  measureOperation({ document: parse(source), schema, costs, variables, defaultListSize: 10, groupByFanout: 5 });

describe('measureOperation', () => {
  // No wall-clock bound here (timed assertions fail on a loaded CI machine): walking 2^30 selections one by one
  // would take minutes, far past jest's timeout, so finishing at all proves the count is per fragment, not per expansion.
  it('should count a 2^30 fragment expansion without walking it and refuse it', () => {
    const m = measure(fragmentBomb(30));
    const check = checkOperation({ source: fragmentBomb(30), schema, costs: NO_COST_DIRECTIVES, limits: DEFAULT_OPERATION_LIMITS });
    expect(m.selections).toBe(1 + 2 ** 30);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.error.extensions.code).toBe('MAX_RECURSIVE_SELECTIONS_EXCEEDED');
  });

  it('should count depth, aliases and root fields through fragments', () => {
    const m = measure('query { a: item { ...N } b: item { ...N } pricey } fragment N on Item { x: name children { children { id } } }');
    expect(m).toMatchObject({ depth: 4, aliases: 4, rootFields: 3, selections: 11 });
  });

  it('should refuse a fragment cycle instead of looping', () => {
    const m = measure('query { item { ...A } } fragment A on Item { children { ...B } } fragment B on Item { children { ...A } }');
    expect(m.selections).toBe(Infinity);
  });

  it('should weigh history fields by bucket count and group fan-out', () => {
    const range = { from: '2026-01-01T00:00:00Z', to: '2026-01-31T00:00:00Z' }; // 30 days
    const q = 'query($r: TimeRangeInput!, $g: Granularity!) { history(range: $r, granularity: $g) { buckets { start } } }';
    // 720 HOUR buckets × (History 1 + buckets 1, counted once inside the history field).
    expect(measure(q, { r: range, g: 'HOUR' }).cost).toBe(720 * 2);
    expect(measure(q, { r: range, g: 'DAY' }).cost).toBe(30 * 2);
    const grouped = 'query($r: TimeRangeInput!) { history(range: $r, granularity: DAY, groupBy: [REGION, CHANNEL]) { total { orders } } }';
    expect(measure(grouped, { r: range }).cost).toBe(30 * 25 * 2);
  });

  it('should count the buckets a comparison period and a rolling window read', () => {
    const range = { from: '2026-01-01T00:00:00Z', to: '2026-01-31T00:00:00Z' }; // 30 days
    const q =
      'query($r: TimeRangeInput!, $w: RollingWindowInput) { history(range: $r, granularity: DAY, compareTo: PREVIOUS_PERIOD, rolling: $w) { buckets { start } } }';
    // 30 buckets + 30 compared + 6 before the range for a 7-day window, × (History 1 + buckets 1).
    expect(measure(q, { r: range, w: { buckets: 7 } }).cost).toBe((30 + 30 + 6) * 2);
    expect(measure(q, { r: range, w: null }).cost).toBe((30 + 30) * 2);
    const rollingOnly = 'query($r: TimeRangeInput!) { history(range: $r, granularity: DAY, rolling: { buckets: 30 }) { buckets { start } } }';
    expect(measure(rollingOnly, { r: range }).cost).toBe((30 + 29) * 2);
  });

  it('should multiply lists by their default size', () => {
    expect(measure('{ items { id } }').cost).toBe(10);
    expect(measure('{ items { children { id } } }').cost).toBe(10 * (1 + 10));
  });

  it('should honour @cost and @listSize composed into a supergraph', () => {
    const sdl = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])
      type Query { items(first: Int = 10): [Item!]! @listSize(slicingArguments: ["first"]) item: Item pricey: Int @cost(weight: 50) }
      type Item @key(fields: "id") @cost(weight: 3) { id: ID! name: String children: [Item!]! @listSize(assumedSize: 2) }`;
    const composed = composeServices([{ name: 'a', url: 'http://a', typeDefs: parse(sdl) }]);
    const costs = readCostDirectives(composed.supergraphSdl!);
    expect(costs.fieldWeights.get('Query.pricey')).toBe(50);
    expect(costs.typeWeights.get('Item')).toBe(3);
    expect(measure('{ pricey }', {}, costs).cost).toBe(50);
    expect(measure('{ items(first: 4) { id } }', {}, costs).cost).toBe(4 * 3);
    expect(measure('query($n: Int) { items(first: $n) { children { id } } }', { n: 7 }, costs).cost).toBe(7 * (3 + 2 * 3));
  });
});
