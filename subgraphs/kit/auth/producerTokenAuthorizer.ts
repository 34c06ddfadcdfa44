import { readFileSync } from 'node:fs';
import type { Request } from 'express';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { KeySource } from './KeySource.js';

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

function keySetOf(keys: KeySource): JWTVerifyGetKey {
  if (keys.kind === 'jwks-url') return createRemoteJWKSet(new URL(keys.url));
  try {
    return createLocalJWKSet(JSON.parse(readFileSync(keys.jwksFile, 'utf8')) as JSONWebKeySet);
  } catch (error) {
    throw new Error(`cannot read the JWKS file ${keys.jwksFile}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * An `authorizeProducer` for the events route: the producer presents `Authorization: Bearer <jwt>`, a
 * token verified like user tokens (trusted keys, `exp`, `iss`, `aud`) that carries the domain's write
 * scope. 401 without a token or with a bad one, 403 with a good token lacking the scope.
 */
export function producerTokenAuthorizer(options: ProducerTokenAuthorizerOptions): (request: Request) => Promise<Refusal> {
  const { issuer, audience, scopesClaim = 'scope', requiredScope } = options;
  const keySet = keySetOf(options.keys);
  return async (request) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) return { status: 401, reason: `a producer token is required: send "Authorization: Bearer <token>" with the scope ${requiredScope}` };
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(match[1], keySet, { issuer, audience, requiredClaims: ['exp'], clockTolerance: 5 }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      return { status: 401, reason: code === 'ERR_JWT_EXPIRED' ? 'the producer token has expired' : `the producer token was refused (${code ?? 'invalid'})` };
    }
    const value = claims[scopesClaim];
    const scopes = typeof value === 'string' ? value.split(/\s+/) : Array.isArray(value) ? value : [];
    if (!scopes.includes(requiredScope)) return { status: 403, reason: `the producer token lacks the scope ${requiredScope}` };
    return null;
  };
}
