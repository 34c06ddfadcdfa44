// Lone UTF-16 surrogates are text no UTF-8 store can hold. The built-ins (ES2024, in Node 20) check and
// replace them without a regex pass over every string of every fact.
type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

/** Whether a string is well-formed Unicode (no lone surrogates). */
export const isWellFormed = (text: string): boolean => (text as WellFormedString).isWellFormed();

/** The string with each lone surrogate replaced by U+FFFD, so it can be stored (dead letters). */
export const toWellFormed = (text: string): string => (text as WellFormedString).toWellFormed();

/**
 * A copy of a JSON value with every string (and key) well-formed, for the dead-letter table: a store
 * refuses the whole row for one lone surrogate. Values nested deeper than `maxDepth` become a marker
 * string (a deep value was rejected for its depth; keeping it would overflow `JSON.stringify`).
 */
export function wellFormedCopy(value: unknown, maxDepth = 64): unknown {
  if (typeof value === 'string') return toWellFormed(value);
  if (typeof value !== 'object' || value === null) return value;
  if (maxDepth <= 0) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => wellFormedCopy(item, maxDepth - 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [toWellFormed(key), wellFormedCopy(item, maxDepth - 1)]));
}
