/** Deepest nesting of arrays and objects a JSON body may have, unless an endpoint says otherwise. */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * Whether a parsed JSON value nests arrays/objects deeper than `maxDepth`. Iterative on purpose:
 * `JSON.parse` accepts 100k-deep input, but any recursive walk of it later (validation, `JSON.stringify`
 * into the dead-letter table) overflows the stack, which used to surface as a retryable 503.
 */
export function exceedsJsonDepth(value: unknown, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
