import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { KeySource } from './KeySource.js';

/**
 * The signature algorithms accepted on user and producer tokens: asymmetric only, because those tokens are
 * signed by an identity provider whose public keys we hold. An HS256 token (or `alg: none`) is refused
 * however it is signed, so a leaked public key can never be used as an HMAC secret.
 */
export const ACCEPTED_ALGORITHMS: readonly string[] = Object.freeze(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA']);

/**
 * Loads the key set of a `KeySource` once, so a bad JWKS file fails at start, not on the first request.
 * A local file must hold a non-empty `keys` list of public keys only (a private key there is a leak
 * waiting to happen, and refused). A JWKS URL is fetched lazily, cached for 10 minutes, refetched at most
 * every 30 s for an unknown `kid` (that is how rotation works) and given 5 s to answer.
 */
export function keySetOf(keys: KeySource): JWTVerifyGetKey {
  if (keys.kind === 'jwks-url') return createRemoteJWKSet(new URL(keys.url), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 5_000 });
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(keys.jwksFile, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the JWKS file ${keys.jwksFile}: ${(error as Error).message}`, { cause: error });
  }
  const list = (jwks as { keys?: Array<Record<string, unknown>> } | null)?.keys;
  if (!Array.isArray(list) || list.length === 0) throw new Error(`the JWKS file ${keys.jwksFile} has no "keys"`);
  if (list.some((key) => key !== null && typeof key === 'object' && 'd' in key))
    throw new Error(`the JWKS file ${keys.jwksFile} holds a private key; give it public keys only`);
  return createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
}
