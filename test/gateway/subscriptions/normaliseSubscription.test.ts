import { buildSchema, getOperationAST, parse, print } from 'graphql';
import { normaliseSubscription } from '../../../gateway/subscriptions/normaliseSubscription.js';

const schema = buildSchema(`
  interface Node { id: ID }
  type T implements Node { id: ID x: Int y: T p: Int q: Int w: Int z: Int v: Int list: [T] }
  type U implements Node { id: ID x: Int }
  type Query { ping: Int }
  type Subscription { s(a: Int, b: Int): T t: T n: Node }
`);
const normalise = (query: string, operationName?: string) => {
  const document = parse(query);
  return normaliseSubscription(document, getOperationAST(document, operationName)!, schema);
};
const keyOf = (query: string, operationName?: string) => normalise(query, operationName).key;

describe('normaliseSubscription', () => {
  it.each([
    ['the operation name', 'subscription A { s(a: 1) { x y } }', 'subscription B { s(a: 1) { x y } }'],
    ['whitespace', 'subscription { s(a: 1) { x y } }', 'subscription   {\n s( a : 1 ){x\ny}}'],
    [
      'the order of fragments that always apply',
      'subscription { n { ... on Node { id } ...N } } fragment N on Node { __typename }',
      'subscription { n { ...N ... on Node { id } } } fragment N on Node { __typename }',
    ],
    ['the field order', 'subscription { s(a: 1) { x y { p q } } }', 'subscription { s(a: 1) { y { q p } x } }'],
    ['the argument order', 'subscription { s(a: 1, b: 2) { x } }', 'subscription { s(b: 2, a: 1) { x } }'],
    ['the variable order', 'subscription ($a: Int, $b: Int) { s(a: $a, b: $b) { x } }', 'subscription ($b: Int, $a: Int) { s(a: $a, b: $b) { x } }'],
    [
      'fragment order and unused fragments',
      'subscription { s { ...F ...G } } fragment F on T { x } fragment G on T { y }',
      'fragment G on T { y } fragment Z on T { z } subscription { s { ...G ...F } } fragment F on T { x }',
    ],
  ])('should give one key to operations that differ only in %s', (_what, a, b) => {
    expect(keyOf(a)).toBe(keyOf(b));
  });

  it.each([
    ['an alias', 'subscription { s { x } }', 'subscription { s { renamed: x } }'],
    ['an argument value', 'subscription { s(a: 1) { x } }', 'subscription { s(a: 2) { x } }'],
    ['a field', 'subscription { s { x } }', 'subscription { s { x y } }'],
    ['a directive', 'subscription ($v: Boolean!) { s { x } }', 'subscription ($v: Boolean!) { s { x @include(if: $v) } }'],
    // Which keys come first depends on the runtime type here: such clients share only with their own order.
    [
      'the order of fragments on some types only',
      'subscription { n { ... on T { x } ... on U { x } id } }',
      'subscription { n { id ... on U { x } ... on T { x } } }',
    ],
  ])('should tell apart operations that differ in %s', (_what, a, b) => {
    expect(keyOf(a)).not.toBe(keyOf(b));
  });

  it('should plan the chosen operation alone, anonymous, in the client field order, with the fragments it uses', () => {
    const document = parse('subscription A { s { y ...F } } subscription B { t { x } } fragment F on T { z ...G } fragment G on T { w } fragment H on T { v }');
    const { document: planned } = normaliseSubscription(document, getOperationAST(document, 'A')!, schema);
    expect(print(planned).replace(/\s+/g, ' ')).toBe('subscription { s { y ...F } } fragment F on T { z ...G } fragment G on T { w }');
  });

  it("should reorder a group's data into each client's own key order, lists and aliases included", () => {
    const a = normalise('subscription { s { x y { p q } list { z w } } }');
    const b = normalise('subscription { s { list { w z } x y { q p } } }');
    expect(a.key).toBe(b.key);
    expect(a.order.key).not.toBe(b.order.key);
    const data = { s: { x: 1, y: { p: 2, q: 3 }, list: [{ z: 4, w: 5 }, null] } };
    expect(JSON.stringify(b.order.reorder(data))).toBe('{"s":{"list":[{"w":5,"z":4},null],"x":1,"y":{"q":3,"p":2}}}');
    expect(JSON.stringify(a.order.reorder(data))).toBe(JSON.stringify(data));
    const aliased = normalise('subscription { s { second: y { p } first: x } }');
    expect(JSON.stringify(aliased.order.reorder({ s: { first: 1, second: { p: 2 } } }))).toBe('{"s":{"second":{"p":2},"first":1}}');
  });

  it('should keep a key this order does not know, and leave null data alone', () => {
    const { order } = normalise('subscription { s { x } }');
    expect(JSON.stringify(order.reorder({ s: { extra: 1, x: 2 } }))).toBe('{"s":{"x":2,"extra":1}}');
    expect(order.reorder({ s: null })).toEqual({ s: null });
  });
});
