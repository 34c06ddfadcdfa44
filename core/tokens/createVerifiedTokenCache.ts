import { LRUCache } from 'lru-cache';

/** Bounds of a {@link createVerifiedTokenCache}. */
export interface VerifiedTokenCacheOptions {
  /** Longest a verified token is remembered; 0 turns the cache off. */
  seconds: number;
  /** Most tokens remembered (least recently used go first). */
  entries: number;
  /** The tolerance the verifier gives `exp`: a token is never remembered past the moment it would refuse it. */
  clockToleranceSeconds: number;
}

/** Tokens already verified, with what their verification gave; only successes are ever remembered. */
export interface VerifiedTokenCache<V> {
  get(token: string): V | undefined;
  /** Remembers a verified token up to `exp` plus the tolerance, and no longer than the bound. */
  remember(token: string, value: V, exp: number | undefined): void;
}

/**
 * The cache the gateway and the subgraphs' producer check share, so a token is verified (an ES256 signature
 * check) once per bound instead of once per request. A refused token is never remembered: its refusal may be
 * an outage of the signing keys. `null` when `seconds` is 0.
 */
export function createVerifiedTokenCache<V extends object>(options: VerifiedTokenCacheOptions): VerifiedTokenCache<V> | null {
  const { seconds, entries, clockToleranceSeconds } = options;
  if (seconds <= 0) return null;
  const verified = new LRUCache<string, V>({ max: entries });
  return {
    get: (token) => verified.get(token),
    remember(token, value, exp) {
      // Up to the moment jose would call it expired (`exp` plus the tolerance), and no longer than the bound.
      const ttl = Math.min(seconds * 1000, ((exp ?? 0) + clockToleranceSeconds) * 1000 - Date.now());
      if (ttl > 0) verified.set(token, value, { ttl: Math.floor(ttl) });
    },
  };
}
