/** Deepest nesting of arrays and objects a JSON body may have, unless an endpoint says otherwise. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * Whether a parsed JSON value nests arrays/objects deeper than `maxDepth`. Iterative on purpose:
 * `JSON.parse` accepts 100k-deep input, but any recursive walk of it later (validation, `JSON.stringify`
 * into the dead-letter table) overflows the stack, which used to surface as a retryable 503.
 */
export function exceedsJsonDepth(value: unknown, maxDepth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  // Objects still to visit and their depths, side by side: every ingested event passes here, and a pair
  // per object plus an array of its values was most of what this walk allocated.
  const items: object[] = [value];
  const depths: number[] = [0];
  while (items.length) {
    const item = items.pop()!;
    const depth = depths.pop()!;
    if (depth + 1 > maxDepth) return true;
    if (Array.isArray(item)) {
      for (const child of item as unknown[]) {
        if (typeof child === 'object' && child !== null) {
          items.push(child);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    for (const key in item) {
      if (!Object.hasOwn(item, key)) continue;
      const child = (item as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) {
        items.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
