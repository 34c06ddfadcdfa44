/**
 * A deterministic string for a JSON-like value: object keys are sorted, so `{a, b}` and `{b, a}` give the
 * same key. Used to decide which upstream connections and subscriptions are identical and can be shared.
 */
export function stableKey(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
      return sorted;
    }) ?? 'undefined'
  );
}
