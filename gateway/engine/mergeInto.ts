const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Merges a fetch's answer into the data already fetched for the same object, in place: objects field by
 * field, lists of the same length item by item, anything else replaced. `undefined` never overwrites.
 * Same outcome as @apollo/gateway's merge, so both engines build the same data from the same fetches.
 */
export function mergeInto(target: Record<string, unknown>, source: unknown): void {
  if (!isObject(source)) return;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value === undefined) continue;
    const existing = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isObject(existing) && isObject(value)) mergeInto(existing, value);
    else if (Array.isArray(existing) && Array.isArray(value) && existing.length === value.length) {
      const into = existing as unknown[];
      const from = value as unknown[];
      for (let i = 0; i < from.length; i++) {
        const item = into[i];
        if (isObject(item) && isObject(from[i])) mergeInto(item, from[i]);
        else into[i] = from[i];
      }
    } else if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
    else target[key] = value;
  }
}
