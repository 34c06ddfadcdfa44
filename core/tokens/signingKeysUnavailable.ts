import type { KeySource } from './KeySource.js';

/**
 * Whether a `jwtVerify` failure means the signing keys could not be fetched (the JWKS endpoint is down,
 * slow, or answers garbage): our outage, not the caller's bad token, so it must not be reported as 401.
 */
export function signingKeysUnavailable(error: unknown, keys: KeySource): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === 'ERR_JWKS_TIMEOUT' || (keys.kind === 'jwks-url' && (code === undefined || code === 'ERR_JOSE_GENERIC'));
}
