import { jwtVerify, type JWTPayload } from 'jose';
import { bearerTokenOf } from '../../core/tokens/bearerTokenOf.js';
import { createVerifiedTokenCache } from '../../core/tokens/createVerifiedTokenCache.js';
import { ACCEPTED_ALGORITHMS, keySetOf } from '../../core/tokens/keySetOf.js';
import type { KeySource } from '../../core/tokens/KeySource.js';
import { scopesFrom } from '../../core/tokens/scopesFrom.js';
import { signingKeysUnavailable } from '../../core/tokens/signingKeysUnavailable.js';
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
  /**
   * How long a verified token's principal is reused for the same token string, in seconds, never past
   * the token's `exp`: a client sends its token with every request, and verifying a signature is the
   * largest piece of per-request work. A key removed from a remote JWKS stays trusted for up to 10
   * minutes in any case (the key set's own cache), so this bound adds no exposure. 0 verifies every time.
   * @default 60
   */
  verifiedCacheSeconds?: number;
  /** How many verified tokens are remembered at most (least recently used go first). @default 10000 */
  verifiedCacheEntries?: number;
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
  const { keys, issuer, audience, scopesClaim = 'scope', clockToleranceSeconds = 5, verifiedCacheSeconds = 60, verifiedCacheEntries = 10_000 } = options;
  const keySet = keySetOf(keys);
  const verified = createVerifiedTokenCache<Principal>({ seconds: verifiedCacheSeconds, entries: verifiedCacheEntries, clockToleranceSeconds });

  const verify = async (token: string): Promise<Principal> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer,
        audience,
        algorithms: [...ACCEPTED_ALGORITHMS],
        requiredClaims: ['exp'],
        clockTolerance: clockToleranceSeconds,
      }));
    } catch (error) {
      // A JWKS endpoint that is down or answers garbage is our outage, not the caller's bad token.
      if (signingKeysUnavailable(error, keys)) throw new SigningKeysUnavailableError((error as Error).message);
      throw new AuthenticationError(reasonOf(error, options));
    }
    const principal: Principal = Object.freeze({
      authenticated: true,
      sub: typeof payload.sub === 'string' ? payload.sub : undefined,
      scopes: Object.freeze(scopesFrom(payload, scopesClaim)),
      claims: Object.freeze({ ...payload }),
      expiresAt: payload.exp,
    });
    verified?.remember(token, principal, payload.exp);
    return principal;
  };
  const verifyCached = async (token: string): Promise<Principal> => verified?.get(token) ?? verify(token);

  return {
    verify: verifyCached,
    async fromAuthorization(header) {
      const token = bearerTokenOf(header);
      if (token === undefined) return ANONYMOUS;
      if (token === null) throw new AuthenticationError('the Authorization header must be "Bearer <token>"');
      return verifyCached(token);
    },
  };
}
