import type { GraphQLSchema } from 'graphql';
import type { PlanSelection } from '../../core/queryPlan/EnginePlan.js';
import { representationKey } from './buildRepresentation.js';
import { isObjectOfType } from './isObjectOfType.js';

/** A fragment of `requires` that applies but lacks a field: it adds nothing to the representation. */
const INCOMPLETE = Symbol('incomplete fragment');
/** A value that is not a scalar: the entity is keyed by its `representationKey` text instead. */
const COMPLEX = Symbol('complex value');

type Trie = Map<unknown, unknown>;

/**
 * Whether `requires` reads scalars only: fields without sub-selections, at the top or in inline
 * fragments without nested fragments (`... on User { __typename id }`, the usual entity key).
 */
function isFlat(selections: readonly PlanSelection[], nested = false): boolean {
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      if (selection.selections) return false;
    } else if (nested || !isFlat(selection.selections, true)) return false;
  }
  return true;
}

const flatness = new WeakMap<readonly PlanSelection[], boolean>();

/**
 * The values `buildRepresentation` reads from `object`, in its order, with a marker per fragment
 * (applies, does not, or applies without all its fields), appended to `out`. False when it would build
 * no representation (a top-level field missing); COMPLEX when a value is an object or a list.
 */
function flatPartsOf(schema: GraphQLSchema, object: Record<string, unknown>, selections: readonly PlanSelection[], out: unknown[]): boolean | typeof COMPLEX {
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      const value = Object.hasOwn(object, name) ? object[name] : undefined;
      if (value === undefined) return false;
      if (value !== null && typeof value === 'object') return COMPLEX;
      out.push(value);
    } else if (selection.typeCondition && isObjectOfType(schema, object, selection.typeCondition)) {
      const mark = out.length;
      out.push(true);
      const inner = flatPartsOf(schema, object, selection.selections, out);
      if (inner === COMPLEX) return COMPLEX;
      if (!inner) {
        out.length = mark;
        out.push(INCOMPLETE);
      }
    } else out.push(false);
  }
  return true;
}

/**
 * Recognises entities whose representations for one `requires` would be equal, without building them
 * (issue #11: building a text key per entity was a tenth of the heavy query's CPU). For the usual
 * `requires` of scalar key fields the entity's values are looked up in a tree of Maps, one level per
 * value; otherwise (nested selections, object or list values) by `representationKey`'s text. Both say
 * "equal" exactly when `buildRepresentation` builds equal representations from equal values read in
 * the same order; a null index means no representation can be built.
 */
export class RepresentationIndex {
  private readonly flat: boolean;
  private readonly trie: Trie = new Map();
  private readonly byText = new Map<string, number>();
  private readonly parts: unknown[] = [];

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly requires: readonly PlanSelection[],
  ) {
    let flat = flatness.get(requires);
    if (flat === undefined) flatness.set(requires, (flat = isFlat(requires)));
    this.flat = flat;
  }

  // Where the last `find` looked: its Map and key (a trie leaf, or `byText` and the text key).
  private lastMap: Map<unknown, unknown> = this.trie;
  private lastKey: unknown;

  /**
   * The index `record`ed for an entity whose representation equals `object`'s; undefined when there is
   * none yet (`record` then files `object`'s); null when `buildRepresentation` would build none.
   */
  find(object: Record<string, unknown>): number | undefined | null {
    if (this.flat) {
      const parts = this.parts;
      parts.length = 0;
      const found = flatPartsOf(this.schema, object, this.requires, parts);
      if (found === false) return null;
      if (found === true) {
        let node = this.trie;
        const last = parts.length - 1;
        for (let i = 0; i < last; i++) {
          let next = node.get(parts[i]) as Trie | undefined;
          if (!next) node.set(parts[i], (next = new Map()));
          node = next;
        }
        this.lastMap = node;
        this.lastKey = last >= 0 ? parts[last] : undefined;
        return node.get(this.lastKey) as number | undefined;
      }
    }
    const key = representationKey(this.schema, object, this.requires);
    if (key === null) return null;
    this.lastMap = this.byText;
    this.lastKey = key;
    return this.byText.get(key);
  }

  /** Files `index` for the entity of the last `find`. */
  record(index: number): void {
    this.lastMap.set(this.lastKey, index);
  }
}
