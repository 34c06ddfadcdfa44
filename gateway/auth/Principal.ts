/** Who is asking, as established from a verified token (or nobody). */
export interface Principal {
  /** False for a caller without a token. */
  readonly authenticated: boolean;
  /** The token's `sub`. */
  readonly sub?: string;
  /** Granted scopes, from the configured claim. */
  readonly scopes: readonly string[];
  /** Every verified claim, for policies. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The token's `exp` in seconds since the epoch. */
  readonly expiresAt?: number;
}

/** The caller without a token. */
export const ANONYMOUS: Principal = Object.freeze({ authenticated: false, scopes: Object.freeze([]), claims: Object.freeze({}) });

/** Whether the principal's token has expired at `nowMs`. Anonymous never expires. */
export function isExpired(principal: Principal, nowMs: number = Date.now()): boolean {
  return principal.expiresAt !== undefined && principal.expiresAt * 1000 <= nowMs;
}

/** The principal a request context carries (`context.principal`), anonymous when there is none. */
export function principalOf(context: unknown): Principal {
  const principal = (context as { principal?: Principal } | null | undefined)?.principal;
  return principal && typeof principal === 'object' && Array.isArray(principal.scopes) ? principal : ANONYMOUS;
}
