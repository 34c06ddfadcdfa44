const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The version of an object or list a merge may write into: the value itself when the caller owns it, else
 * the caller's own copy of it (a shallow one, made once; see `Ownership`).
 */
export type Own = <T extends object>(value: T) => T;

/** Every value is the caller's to write into (data built by the caller itself). */
const inPlace: Own = (value) => value;

/** Sets `key` on `target`, `__proto__` as an own property. */
export function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * Merges a fetch's answer into the data already fetched for the same object: objects field by field,
 * lists of the same length item by item, anything else replaced. `undefined` never overwrites.
 * Same outcome as @apollo/gateway's merge, so both engines build the same data from the same fetches.
 * `target` is written into; what the merge writes below it goes into `own`'s version of each object and
 * list (put in place of the original), so an answer shared with other operations is never changed.
 * `source` is only read: its values are taken by reference.
 */
export function mergeInto(target: Record<string, unknown>, source: unknown, own: Own = inPlace): void {
  if (!isObject(source)) return;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value === undefined) continue;
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isObject(existing) && isObject(value)) {
      const into = own(existing);
      if (into !== existing) put(target, key, into);
      mergeInto(into, value, own);
    } else if (Array.isArray(existing) && Array.isArray(value) && existing.length === value.length) {
      const into = own(existing as unknown[]);
      if (into !== existing) put(target, key, into);
      const from = value as unknown[];
      for (let i = 0; i < from.length; i++) {
        const item = into[i];
        if (isObject(item) && isObject(from[i])) {
          const itemInto = own(item);
          if (itemInto !== item) into[i] = itemInto;
          mergeInto(itemInto, from[i], own);
        } else into[i] = from[i];
      }
    } else put(target, key, value);
  }
}
