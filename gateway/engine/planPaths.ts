/**
 * Walking a plan path (`@` into every list item, `... on A|B` for objects of those types, field names)
 * over fetched data: the objects a plan step runs on, and their response paths for errors.
 */

import type { Own } from './mergeInto.js';

export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export const FRAGMENT = '... on ';

/** Whether `object` passes a `... on A|B` path step. */
export type TypeStep = (object: Record<string, unknown>, step: string) => boolean;

/**
 * The objects at `path` below `value` (`@` and lists step into every item; nulls end a branch), in
 * document order, for the caller to write into: every list and object on the way to them, and the
 * objects found, are replaced by `own`'s version (the caller's own copy of what a shared answer holds).
 * Returns `value`'s own version when something below it was collected, else `value` itself.
 */
export function collectOwned(value: unknown, path: readonly string[], index: number, isType: TypeStep, out: Record<string, unknown>[], own: Own): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const next = path[index] === '@' ? index + 1 : index;
    let list: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || typeof item !== 'object') continue;
      const found = collectOwned(item, path, next, isType, out, own);
      if (found !== item) (list ??= own(value as unknown[]))[i] = found;
    }
    return list ?? value;
  }
  const object = value as Record<string, unknown>;
  if (index === path.length) {
    const mine = own(object);
    out.push(mine);
    return mine;
  }
  const step = path[index];
  if (step === '@') return value;
  if (step.startsWith(FRAGMENT)) return isType(object, step) ? collectOwned(object, path, index + 1, isType, out, own) : value;
  if (!Object.hasOwn(object, step)) return value;
  const child = object[step];
  const found = collectOwned(child, path, index + 1, isType, out, own);
  if (found === child) return value;
  const mine = own(object);
  // Plan path steps are field names (never `__proto__`: names starting with `__` are reserved).
  mine[step] = found;
  return mine;
}

/** The response paths (with list indices) of the objects `collectOwned` finds, in the same order: only for errors. */
export function concretePaths(
  value: unknown,
  path: readonly string[],
  index: number,
  isType: TypeStep,
  prefix: Array<string | number>,
  out: Array<Array<string | number>>,
): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    const next = path[index] === '@' ? index + 1 : index;
    value.forEach((item, i) => {
      prefix.push(i);
      concretePaths(item, path, next, isType, prefix, out);
      prefix.pop();
    });
    return;
  }
  if (!isRecord(value)) return;
  if (index === path.length) out.push([...prefix]);
  else if (path[index] === '@') return;
  else if (path[index].startsWith(FRAGMENT)) {
    if (isType(value, path[index])) concretePaths(value, path, index + 1, isType, prefix, out);
  } else if (Object.hasOwn(value, path[index])) {
    prefix.push(path[index]);
    concretePaths(value[path[index]], path, index + 1, isType, prefix, out);
    prefix.pop();
  }
}
