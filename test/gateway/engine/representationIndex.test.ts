/**
 * gateway/engine/RepresentationIndex.ts: entities are found equal exactly when buildRepresentation
 * builds equal representations of them, for flat entity keys (the Map tree), for fragments of key
 * fields, and for what falls back to the text key (nested selections, object and list values).
 */
import { buildSchema } from 'graphql';
import type { PlanSelection } from '../../../core/queryPlan/EnginePlan.js';
import { buildRepresentation } from '../../../gateway/engine/buildRepresentation.js';
import { RepresentationIndex } from '../../../gateway/engine/RepresentationIndex.js';

const schema = buildSchema(`
  interface Node { id: ID! }
  type User implements Node { id: ID! name: String address: Address }
  type Product implements Node { id: ID! upc: String }
  type Address { city: String zip: Int }
  type Query { node: Node }
`);

const field = (name: string, selections?: PlanSelection[]): PlanSelection => ({ kind: 'Field', name, alias: undefined, selections });
const on = (typeCondition: string, selections: PlanSelection[]): PlanSelection => ({ kind: 'InlineFragment', typeCondition, selections });

const REQUIRES: Record<string, PlanSelection[]> = {
  'flat fields': [field('__typename'), field('id')],
  'a fragment of key fields': [on('User', [field('__typename'), field('id')])],
  'fragments of two types': [on('User', [field('__typename'), field('id'), field('name')]), on('Product', [field('__typename'), field('upc')])],
  'an abstract fragment': [on('Node', [field('__typename'), field('id')])],
  'a nested selection (text keys)': [field('__typename'), field('id'), field('address', [field('city'), field('zip')])],
};

// A deterministic generator (no flaky seeds): a linear congruential sequence.
function generator(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

const VALUES: unknown[] = ['1', 1, '2', 2, null, true, false, '', 'a,b', '1:1', ['1'], { city: 'x' }, 0, -0];
const TYPES = ['User', 'Product', undefined];

function objectsFor(count: number, complete: boolean): Record<string, unknown>[] {
  const pick = generator(count + (complete ? 1 : 0));
  const objects: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const object: Record<string, unknown> = {};
    const typename = TYPES[pick(TYPES.length)];
    if (typename) object.__typename = typename;
    for (const name of ['id', 'name', 'upc']) if (complete || pick(5) > 0) object[name] = VALUES[pick(VALUES.length)];
    if (pick(3) > 0) object.address = pick(4) === 0 ? null : { city: VALUES[pick(4)], zip: pick(3) };
    objects.push(object);
  }
  return objects;
}

describe('RepresentationIndex', () => {
  for (const [name, requires] of Object.entries(REQUIRES)) {
    it(`should find entities equal exactly when their representations are equal: ${name}`, () => {
      for (const complete of [true, false]) {
        const index = new RepresentationIndex(schema, requires);
        const canonical: string[] = [];
        const byText = new Map<string, number>();
        for (const object of objectsFor(400, complete)) {
          const representation = buildRepresentation(schema, object, requires);
          const found = index.find(object);
          if (representation === null) {
            expect(found).toBeNull();
            continue;
          }
          const text = JSON.stringify(representation);
          if (found === null) throw new Error(`no slot for ${JSON.stringify(object)}`);
          if (found !== undefined) expect(canonical[found]).toBe(text);
          else {
            // Never merged with an unequal one; with every field present, never missed an equal one.
            if (complete) expect(byText.has(text)).toBe(false);
            index.record(canonical.length);
            byText.set(text, canonical.length);
            canonical.push(text);
          }
        }
        expect(canonical.length).toBeGreaterThan(1);
      }
    });
  }

  it('should tell a string from a number and null from a missing fragment', () => {
    const index = new RepresentationIndex(schema, REQUIRES['flat fields']);
    expect(index.find({ __typename: 'User', id: '1' })).toBeUndefined();
    index.record(0);
    expect(index.find({ __typename: 'User', id: 1 })).toBeUndefined();
    index.record(1);
    expect(index.find({ __typename: 'User', id: '1', other: 3 })).toBe(0);
    expect(index.find({ __typename: 'User' })).toBeNull();
  });
});
