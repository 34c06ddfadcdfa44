import type { Request } from 'express';
import { jwtVerify } from 'jose';
import { bearerTokenOf } from '../../../core/tokens/bearerTokenOf.js';
import { ACCEPTED_ALGORITHMS, keySetOf } from '../../../core/tokens/keySetOf.js';
import type { KeySource } from '../../../core/tokens/KeySource.js';
import { scopesFrom } from '../../../core/tokens/scopesFrom.js';

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
}

type Refusal = { status: 401 | 403; reason: string } | null;

/**
 * An `authorizeProducer` for the events route: the producer presents `Authorization: Bearer <jwt>`, a
 * token verified like user tokens (trusted keys, `exp`, `iss`, `aud`) that carries the domain's write
 * scope. 401 without a token or with a bad one, 403 with a good token lacking the scope.
 */
export function producerTokenAuthorizer(options: ProducerTokenAuthorizerOptions): (request: Request) => Promise<Refusal> {
  const { issuer, audience, scopesClaim = 'scope', requiredScope } = options;
  const keySet = keySetOf(options.keys);
  return async (request) => {
    const token = bearerTokenOf(request.headers.authorization);
    if (!token) return { status: 401, reason: `a producer token is required: send "Authorization: Bearer <token>" with the scope ${requiredScope}` };
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, keySet, { issuer, audience, algorithms: [...ACCEPTED_ALGORITHMS], requiredClaims: ['exp'], clockTolerance: 5 }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      return { status: 401, reason: code === 'ERR_JWT_EXPIRED' ? 'the producer token has expired' : `the producer token was refused (${code ?? 'invalid'})` };
    }
    if (!scopesFrom(claims, scopesClaim).includes(requiredScope)) return { status: 403, reason: `the producer token lacks the scope ${requiredScope}` };
    return null;
  };
}
