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
  const out = Object.create(null) as Record<string, unknown>;
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const key = selection.alias ?? selection.name;
      const value = Object.hasOwn(object, key) ? object[key] : undefined;
      if (value === undefined) return null;
      const below = selection.selections;
      if (Array.isArray(value)) out[key] = below ? value.map((item) => buildRepresentation(schema, item, below)) : value;
      else out[key] = below && value !== null ? buildRepresentation(schema, value, below) : value;
    } else if (selection.typeCondition && isObjectOfType(schema, object, selection.typeCondition)) {
      mergeInto(out, buildRepresentation(schema, object, selection.selections));
    }
  }
  return out;
}
