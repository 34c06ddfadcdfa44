import type { Own } from './mergeInto.js';

/**
 * Copy on write for one operation's data: subgraph answers may be shared with concurrent operations
 * (one parse per shared in-flight request, core/apollo/readOnlyAnswer.ts), so the operation writes only
 * into objects and lists it made itself. `own(value)` returns `value` when it is one of those (`roots`, or
 * a copy made earlier), else a shallow copy of it, made once and the operation's from then on: the caller
 * puts the copy where the original was. Never copying an owned value twice matters beyond cost: a step
 * of the plan may hold an owned object to merge into later, and a second copy would leave it detached.
 */
export function createOwnership(...roots: object[]): Own {
  const owned = new Set<object>(roots);
  return <T extends object>(value: T): T => {
    if (owned.has(value)) return value;
    // Spread copies an own `__proto__` key (JSON.parse makes one) as an own property, like JSON.parse.
    const copy = (Array.isArray(value) ? value.slice() : { ...value }) as T;
    owned.add(copy);
    return copy;
  };
}
