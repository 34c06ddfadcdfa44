import { SignJWT } from 'jose';
import { GATEWAY_TOKEN_HEADER, GATEWAY_TOKEN_ISSUER, MIN_GATEWAY_SECRET_LENGTH } from '../../core/tokens/gatewayToken.js';
import type { Principal } from './Principal.js';

/** Options of the gateway-to-subgraph token signer. */
export interface GatewayTokenSignerOptions {
  /** Shared secret (HS256) the subgraphs verify with (`MESH_GATEWAY_SECRET`). At least 32 characters. */
  secret: string;
  /** Lifetime of a token, in seconds. @default 60 */
  ttlSeconds?: number;
  /** `iss` of the tokens. @default 'mesh-gateway' */
  issuer?: string;
  /** Current time in ms. @default Date.now */
  now?: () => number;
}

/** Mints the short-lived identity tokens the gateway sends to subgraphs. */
export interface GatewayTokenSigner {
  /**
   * A token for one subgraph (`aud` is the subgraph's name, so a subgraph that captures it cannot replay
   * it against another), for a verified principal (claims `sub`, `scopes`, `kind: 'user' | 'anonymous'`),
   * or for the gateway itself (`kind: 'service'`, `sub: 'mesh-gateway'`) when none is given. Tokens are
   * reused per subgraph and identity while more than half their lifetime is left, so a busy gateway signs
   * a few per minute.
   */
  tokenFor(subgraph: string, principal?: Principal): Promise<string>;
  /** `{ 'x-mesh-gateway-token': tokenFor(subgraph, principal) }` */
  headersFor(subgraph: string, principal?: Principal): Promise<Record<string, string>>;
}

const MAX_CACHED = 1000;

export function createGatewayTokenSigner(options: GatewayTokenSignerOptions): GatewayTokenSigner {
  const { secret, ttlSeconds = 60, issuer = GATEWAY_TOKEN_ISSUER, now = Date.now } = options;
  if (secret.length < MIN_GATEWAY_SECRET_LENGTH) throw new Error(`the gateway secret must be at least ${MIN_GATEWAY_SECRET_LENGTH} characters long`);
  const key = new TextEncoder().encode(secret);
  const cache = new Map<string, { token: string; expiresAtMs: number }>();

  const tokenFor = async (subgraph: string, principal?: Principal): Promise<string> => {
    if (!subgraph) throw new Error('a gateway token needs the name of the subgraph it is for');
    const kind = !principal ? 'service' : principal.authenticated ? 'user' : 'anonymous';
    const sub = !principal ? GATEWAY_TOKEN_ISSUER : principal.sub;
    const scopes = principal ? [...principal.scopes].sort() : [];
    const cacheKey = JSON.stringify([subgraph, kind, sub ?? null, scopes]);
    const nowMs = now();
    const cached = cache.get(cacheKey);
    if (cached && cached.expiresAtMs - nowMs > (ttlSeconds * 1000) / 2) return cached.token;
    const issuedAt = Math.floor(nowMs / 1000);
    const jwt = new SignJWT({ kind, scopes })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(subgraph)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ttlSeconds);
    if (sub !== undefined) jwt.setSubject(sub);
    const token = await jwt.sign(key);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(cacheKey, { token, expiresAtMs: (issuedAt + ttlSeconds) * 1000 });
    return token;
  };

  return {
    tokenFor,
    headersFor: async (subgraph, principal) => ({ [GATEWAY_TOKEN_HEADER]: await tokenFor(subgraph, principal) }),
  };
}
