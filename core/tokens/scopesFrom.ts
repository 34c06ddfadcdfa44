/** Scopes from a token claim: a space-separated string (OAuth 2 `scope`) or an array of strings; anything else is none. */
export function scopesFrom(claims: Record<string, unknown>, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string' && s.length > 0);
  return [];
}
