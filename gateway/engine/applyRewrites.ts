import type { GraphQLSchema } from 'graphql';
import type { DataRewrite } from '../../core/queryPlan/EnginePlan.js';
import { isObjectOfType } from './isObjectOfType.js';

const FRAGMENT = '... on ';

function applyAt(schema: GraphQLSchema, path: readonly string[], index: number, value: unknown, apply: (object: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) applyAt(schema, path, index, item, apply);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const object = value as Record<string, unknown>;
  if (index === path.length) return apply(object);
  const step = path[index];
  if (step.startsWith(FRAGMENT)) {
    // Data without `__typename` is taken to match: the planner only rewrites where the type is known.
    if (
      step
        .slice(FRAGMENT.length)
        .split('|')
        .some((name) => isObjectOfType(schema, object, name, true))
    )
      applyAt(schema, path, index + 1, object, apply);
  } else if (Object.hasOwn(object, step)) applyAt(schema, path, index + 1, object[step], apply);
}

/**
 * Applies a fetch's input rewrites (to each representation before it is sent) or output rewrites (to
 * each answer before it is merged), in place: `ValueSetter` sets the last field of the path,
 * `KeyRenamer` moves it to another key. This is how `@interfaceObject` entities travel as their
 * interface and come back as their implementation.
 */
export function applyRewrites(schema: GraphQLSchema, rewrites: readonly DataRewrite[] | undefined, value: unknown): void {
  if (!rewrites) return;
  for (const rewrite of rewrites) {
    if (rewrite.path.length === 0) continue;
    const field = rewrite.path[rewrite.path.length - 1];
    const apply =
      rewrite.kind === 'ValueSetter'
        ? (object: Record<string, unknown>) =>
            void Object.defineProperty(object, field, { value: rewrite.setValueTo, enumerable: true, writable: true, configurable: true })
        : (object: Record<string, unknown>) => {
            const found = Object.hasOwn(object, field) ? object[field] : undefined;
            if (!found) return;
            Object.defineProperty(object, rewrite.renameKeyTo, { value: found, enumerable: true, writable: true, configurable: true });
            object[field] = undefined;
          };
    // The path leads to the object holding the field: its last element is the field itself.
    applyAt(schema, rewrite.path.slice(0, -1), 0, value, apply);
  }
}
