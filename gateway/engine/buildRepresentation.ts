import type { GraphQLSchema } from 'graphql';
import type { PlanSelection } from '../../core/queryPlan/EnginePlan.js';
import { isObjectOfType } from './isObjectOfType.js';
import { mergeInto } from './mergeInto.js';

/**
 * The representation of one entity for an `_entities` fetch: the `requires` selections read from the
 * entity's data. Null when a required field is missing (that entity is not fetched: its key or a
 * `@requires` field failed upstream). Only data at hand is read: never the rest of the response.
 */
export function buildRepresentation(schema: GraphQLSchema, source: unknown, selections: readonly PlanSelection[]): Record<string, unknown> | null {
  if (source === null || typeof source !== 'object') return null;
  const object = source as Record<string, unknown>;
  // A plain object (V8 keeps null-prototype objects in dictionary mode, slower to fill and serialise).
  const out: Record<string, unknown> = {};
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const key = selection.alias ?? selection.name;
      const value = Object.hasOwn(object, key) ? object[key] : undefined;
      if (value === undefined) return null;
      const below = selection.selections;
      const built = Array.isArray(value)
        ? below
          ? value.map((item) => buildRepresentation(schema, item, below))
          : value
        : below && value !== null
          ? buildRepresentation(schema, value, below)
          : value;
      if (key === '__proto__') Object.defineProperty(out, key, { value: built, enumerable: true, writable: true, configurable: true });
      else out[key] = built;
    } else if (selection.typeCondition && isObjectOfType(schema, object, selection.typeCondition)) {
      mergeInto(out, buildRepresentation(schema, object, selection.selections));
    }
  }
  return out;
}

/** A scalar (or a value without sub-selections) in a representation key: injective, cheaper than JSON for the usual strings and numbers. */
function scalarKey(value: unknown): string {
  if (typeof value === 'string') return `${value.length}:${value}`;
  if (typeof value === 'number') return `n${value}`;
  if (value === null) return 'z';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return `j${JSON.stringify(value)}`;
}

/**
 * A key equal for two entities exactly when `buildRepresentation` would build equal representations of
 * them (read from the same fields in the same order), null exactly when it would build none: identical
 * entities are recognised without building their representation.
 */
export function representationKey(schema: GraphQLSchema, source: unknown, selections: readonly PlanSelection[]): string | null {
  if (source === null || typeof source !== 'object') return null;
  const object = source as Record<string, unknown>;
  let key = '{';
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      const value = Object.hasOwn(object, name) ? object[name] : undefined;
      if (value === undefined) return null;
      const below = selection.selections;
      key += `${name}=`;
      if (Array.isArray(value)) {
        if (!below) key += `j${JSON.stringify(value)}`;
        else {
          key += '[';
          for (const item of value) key += `${representationKey(schema, item, below) ?? 'z'},`;
          key += ']';
        }
      } else if (below && value !== null) key += representationKey(schema, value, below) ?? 'z';
      else key += scalarKey(value);
      key += ',';
    } else if (selection.typeCondition && isObjectOfType(schema, object, selection.typeCondition)) {
      key += `...${representationKey(schema, object, selection.selections) ?? 'z'},`;
    }
  }
  return `${key}}`;
}
