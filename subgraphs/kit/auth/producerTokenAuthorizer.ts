import type { Request } from 'express';
import { jwtVerify, type JWTPayload } from 'jose';
import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { bearerTokenOf } from '../../../core/tokens/bearerTokenOf.js';
import { createVerifiedTokenCache } from '../../../core/tokens/createVerifiedTokenCache.js';
import { ACCEPTED_ALGORITHMS, keySetOf } from '../../../core/tokens/keySetOf.js';
import type { KeySource } from '../../../core/tokens/KeySource.js';
import { scopesFrom } from '../../../core/tokens/scopesFrom.js';
import { signingKeysUnavailable } from '../../../core/tokens/signingKeysUnavailable.js';

/** Tolerated clock skew for `exp`/`nbf`/`iat`, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** Options of the producer-token check for `POST /events`. */
export interface ProducerTokenAuthorizerOptions {
  /** Keys that sign producer tokens (the same identity provider as user tokens). */
  keys: KeySource;
  issuer: string;
  audience: string;
  /** The claim holding scopes: a space-separated string or an array. @default 'scope' */
  scopesClaim?: string;
  /** The scope a producer needs, e.g. `orders:write`. */
  requiredScope: string;
  /**
   * How long a verified token's claims are reused for the same token string, in seconds, never past the
   * token's `exp`: a producer sends its token with every `POST /events`, and verifying the signature was
   * the largest piece of a single-fact request's JavaScript work. A key removed from a remote JWKS stays
   * trusted for up to 10 minutes anyway (the key set's own cache), so this adds no exposure. 0 verifies
   * every time.
   * @default 60
   */
  verifiedCacheSeconds?: number;
  /** How many verified tokens are remembered at most (least recently used go first). @default 1000 */
  verifiedCacheEntries?: number;
}

/** Why a producer is refused; the code decides the status (`core/errors/statusOf.ts`). */
export type ProducerRefusal = {
  code: typeof ErrorCode.UNAUTHENTICATED | typeof ErrorCode.FORBIDDEN | typeof ErrorCode.SERVICE_UNAVAILABLE;
  reason: string;
} | null;

/**
 * An `authorizeProducer` for the events route: the producer presents `Authorization: Bearer <jwt>`, a
 * token verified like user tokens (trusted keys, `exp`, `iss`, `aud`) that carries the domain's write
 * scope. UNAUTHENTICATED (401) without a token or with a bad one, FORBIDDEN (403) with a good token lacking
 * the scope, SERVICE_UNAVAILABLE (503, retry) when the signing keys cannot be fetched, as at the gateway.
 */
export function producerTokenAuthorizer(options: ProducerTokenAuthorizerOptions): (request: Request) => Promise<ProducerRefusal> {
  const { issuer, audience, scopesClaim = 'scope', requiredScope, verifiedCacheSeconds = 60, verifiedCacheEntries = 1_000 } = options;
  const keySet = keySetOf(options.keys);
  const verified = createVerifiedTokenCache<JWTPayload>({
    seconds: verifiedCacheSeconds,
    entries: verifiedCacheEntries,
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
  });
  return async (request) => {
    const token = bearerTokenOf(request.headers.authorization);
    if (!token)
      return { code: ErrorCode.UNAUTHENTICATED, reason: `a producer token is required: send "Authorization: Bearer <token>" with the scope ${requiredScope}` };
    let claims = verified?.get(token);
    if (!claims) {
      try {
        ({ payload: claims } = await jwtVerify(token, keySet, {
          issuer,
          audience,
          algorithms: [...ACCEPTED_ALGORITHMS],
          requiredClaims: ['exp'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        }));
      } catch (error) {
        if (signingKeysUnavailable(error, options.keys))
          return { code: ErrorCode.SERVICE_UNAVAILABLE, reason: 'producer tokens cannot be verified right now: the signing keys are unavailable; retry later' };
        const code = (error as { code?: string }).code;
        return {
          code: ErrorCode.UNAUTHENTICATED,
          reason: code === 'ERR_JWT_EXPIRED' ? 'the producer token has expired' : `the producer token was refused (${code ?? 'invalid'})`,
        };
      }
      verified?.remember(token, claims, claims.exp);
    }
    if (!scopesFrom(claims, scopesClaim).includes(requiredScope))
      return { code: ErrorCode.FORBIDDEN, reason: `the producer token lacks the scope ${requiredScope}` };
    return null;
  };
}
