import { getOperationAST, parse, print } from 'graphql';
import { normaliseSubscription } from '../../../gateway/subscriptions/normaliseSubscription.js';

const keyOf = (query: string, operationName?: string) => {
  const document = parse(query);
  return normaliseSubscription(document, getOperationAST(document, operationName)!).key;
};

describe('normaliseSubscription', () => {
  it.each([
    ['the operation name', 'subscription A { s(a: 1) { x y } }', 'subscription B { s(a: 1) { x y } }'],
    ['whitespace', 'subscription { s(a: 1) { x y } }', 'subscription   {\n s( a : 1 ){x\ny}}'],
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
  ])('should tell apart operations that differ in %s', (_what, a, b) => {
    expect(keyOf(a)).not.toBe(keyOf(b));
  });

  it('should plan the chosen operation alone, anonymous, in the client field order, with the fragments it uses', () => {
    const document = parse('subscription A { s { y ...F } } subscription B { t { x } } fragment F on T { z ...G } fragment G on T { w } fragment H on T { v }');
    const { document: planned } = normaliseSubscription(document, getOperationAST(document, 'A')!);
    expect(print(planned).replace(/\s+/g, ' ')).toBe('subscription { s { y ...F } } fragment F on T { z ...G } fragment G on T { w }');
  });
});
