import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { KeySource } from './KeySource.js';
import { ANONYMOUS, type Principal } from './Principal.js';

/** Options of a bearer-token verifier. */
export interface TokenVerifierOptions {
  /** Where the signing keys come from. */
  keys: KeySource;
  /** The only accepted `iss`. */
  issuer: string;
  /** The `aud` the token must carry. */
  audience: string;
  /**
   * The claim holding the scopes: a space-separated string (OAuth 2 `scope`) or an array of strings.
   * @default 'scope'
   */
  scopesClaim?: string;
  /** Tolerated clock skew for `exp`/`nbf`/`iat`, in seconds. @default 5 */
  clockToleranceSeconds?: number;
}

/** Turns tokens into principals. */
export interface TokenVerifier {
  /** Verifies a compact JWT; throws an `AuthenticationError` that says why it was refused. */
  verify(token: string): Promise<Principal>;
  /**
   * The principal of an `Authorization` header value: none (or empty) is anonymous; anything but a
   * valid `Bearer <jwt>` throws an `AuthenticationError` (a bad token never downgrades to anonymous).
   */
  fromAuthorization(header: string | null | undefined): Promise<Principal>;
}

/** A token was presented and refused; `reason` is safe to show the caller. */
export class AuthenticationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuthenticationError';
  }
}

/** The signing keys could not be fetched: the caller's token may be fine, the gateway cannot tell. */
export class SigningKeysUnavailableError extends Error {
  constructor(reason: string) {
    super(`the token signing keys are unavailable: ${reason}`);
    this.name = 'SigningKeysUnavailableError';
  }
}

// Only asymmetric algorithms: user tokens are signed by an identity provider whose public keys we hold.
const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];

/** Loads the key set once; a bad JWKS file fails at start, not on the first request. */
export function keySetOf(keys: KeySource): JWTVerifyGetKey {
  if (keys.kind === 'jwks-url') return createRemoteJWKSet(new URL(keys.url), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 5_000 });
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(keys.jwksFile, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the JWKS file ${keys.jwksFile}: ${(error as Error).message}`, { cause: error });
  }
  const list = (jwks as { keys?: Array<Record<string, unknown>> }).keys;
  if (!Array.isArray(list) || list.length === 0) throw new Error(`the JWKS file ${keys.jwksFile} has no "keys"`);
  if (list.some((key) => 'd' in key)) throw new Error(`the JWKS file ${keys.jwksFile} holds a private key; give the gateway public keys only`);
  return createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
}

/** Scopes from a claim: a space-separated string or an array of strings; anything else is none. */
export function scopesFrom(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  if (typeof value === 'string') return value.split(/\s+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string' && s.length > 0);
  return [];
}

/** A reason a person can act on, from a jose error. */
function reasonOf(error: unknown, options: TokenVerifierOptions): string {
  const e = error as { code?: string; claim?: string; reason?: string; message?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'iss') return `the token's issuer is not trusted (expected "${options.issuer}")`;
      if (e.claim === 'aud') return `the token is not for this audience (expected "${options.audience}")`;
      if (e.claim === 'nbf') return 'the token is not valid yet';
      if (e.reason === 'missing') return `the token lacks the "${e.claim}" claim`;
      return `the token's "${e.claim}" claim is invalid`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token signature is invalid';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'the token is not signed by a trusted key';
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'the token does not name its signing key (kid) and several keys match';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the token is signed with an algorithm that is not accepted';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'the token is malformed';
    default:
      return `the token was refused: ${e.message ?? String(error)}`;
  }
}

/**
 * Verifies bearer JWTs with `jose`: signature against the configured keys (a remote JWKS is cached and
 * refetched for unknown key ids, which is how rotation works), `exp` (required), `iss` and `aud`.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { keys, issuer, audience, scopesClaim = 'scope', clockToleranceSeconds = 5 } = options;
  const keySet = keySetOf(keys);

  const verify = async (token: string): Promise<Principal> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, { issuer, audience, algorithms: ALGORITHMS, requiredClaims: ['exp'], clockTolerance: clockToleranceSeconds }));
    } catch (error) {
      // A JWKS endpoint that is down or answers garbage is our outage, not the caller's bad token.
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWKS_TIMEOUT' || (keys.kind === 'jwks-url' && (code === undefined || code === 'ERR_JOSE_GENERIC'))) throw new SigningKeysUnavailableError((error as Error).message);
      throw new AuthenticationError(reasonOf(error, options));
    }
    return Object.freeze({
      authenticated: true,
      sub: typeof payload.sub === 'string' ? payload.sub : undefined,
      scopes: Object.freeze(scopesFrom(payload, scopesClaim)),
      claims: Object.freeze({ ...payload }),
      expiresAt: payload.exp,
    });
  };

  return {
    verify,
    async fromAuthorization(header) {
      if (header === undefined || header === null || header.trim() === '') return ANONYMOUS;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
      if (!match) throw new AuthenticationError('the Authorization header must be "Bearer <token>"');
      return verify(match[1]);
    },
  };
}
