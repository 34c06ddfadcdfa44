import { jwtVerify, type JWTPayload } from 'jose';
import { GATEWAY_TOKEN_HEADER, GATEWAY_TOKEN_ISSUER, MIN_GATEWAY_SECRET_LENGTH } from '../../../core/tokens/gatewayToken.js';
import { createVerifiedTokenCache } from '../../../core/tokens/createVerifiedTokenCache.js';
import type { CallerIdentity } from '../serveDataProduct.js';

/** Options of the gateway-token check. */
export interface GatewayTokenAuthenticatorOptions {
  /** The secret shared with the gateway (`MESH_GATEWAY_SECRET`). */
  secret: string;
  /** @default 'mesh-gateway' */
  issuer?: string;
  /**
   * The `aud` this subgraph accepts: its own name in the supergraph (the demo domains use the domain
   * name). The gateway signs each token for one subgraph, so a token captured by another subgraph of
   * the supergraph is refused here.
   */
  audience: string;
  /** Tolerated clock skew in seconds. @default 5 */
  clockToleranceSeconds?: number;
  /**
   * How long a verified token's payload is reused for the same token string, in seconds, never past its
   * `exp`: the gateway reuses a token per subgraph and identity for half its minute-long life, so a busy
   * subgraph sees the same few tokens on every entity fetch, and verifying each again (an HMAC through
   * WebCrypto) was a few percent of a subgraph's CPU at 100 events/s. The secret is fixed for the life of
   * the check, so a token verified once stays valid until it expires. 0 verifies every time.
   * @default 60
   */
  verifiedCacheSeconds?: number;
}

/**
 * An `authenticateRequest` for `serveDataProduct` that accepts only requests carrying a valid,
 * unexpired HS256 token signed by the gateway for this subgraph (header `x-mesh-gateway-token`, or the same key in the
 * graphql-ws `connection_init` payload). The identity inside becomes `context.identity`. A subgraph
 * trusts nobody else: clients go through the gateway, which enforces field-level authorization.
 */
export function gatewayTokenAuthenticator(options: GatewayTokenAuthenticatorOptions): (headers: Record<string, string | undefined>) => Promise<CallerIdentity> {
  const { secret, issuer = GATEWAY_TOKEN_ISSUER, audience, clockToleranceSeconds = 5, verifiedCacheSeconds = 60 } = options;
  if (!audience) throw new Error("the gateway token check needs this subgraph's name as its audience");
  if (secret.length < MIN_GATEWAY_SECRET_LENGTH) throw new Error(`the gateway secret must be at least ${MIN_GATEWAY_SECRET_LENGTH} characters long`);
  const key = new TextEncoder().encode(secret);
  const verified = createVerifiedTokenCache<JWTPayload>({ seconds: verifiedCacheSeconds, entries: 1_000, clockToleranceSeconds });
  return async (headers) => {
    const token = headers[GATEWAY_TOKEN_HEADER];
    if (!token) throw new Error(`this subgraph only answers the gateway: the ${GATEWAY_TOKEN_HEADER} header is missing`);
    let payload = verified?.get(token);
    if (!payload) {
      try {
        ({ payload } = await jwtVerify(token, key, {
          issuer,
          audience,
          algorithms: ['HS256'],
          requiredClaims: ['exp', 'iat'],
          clockTolerance: clockToleranceSeconds,
        }));
      } catch (error) {
        throw new Error(`the ${GATEWAY_TOKEN_HEADER} was refused: ${whyRefused(error, audience)}`, { cause: error });
      }
      verified?.remember(token, payload, payload.exp);
    }
    // The gateway signs for exactly one subgraph; a token naming several is not one of its tokens.
    if (payload.aud !== audience) throw new Error(`the ${GATEWAY_TOKEN_HEADER} was refused: it must be signed for this subgraph ("${audience}") alone`);
    const scopes = Array.isArray(payload.scopes) ? payload.scopes.filter((s): s is string => typeof s === 'string') : [];
    return { sub: typeof payload.sub === 'string' ? payload.sub : undefined, scopes, claims: { ...payload } };
  };
}

/** Why a gateway token was refused, in words safe to show the caller. */
function whyRefused(error: unknown, audience: string): string {
  const { code, claim } = error as { code?: string; claim?: string };
  if (code === 'ERR_JWT_EXPIRED') return 'it has expired';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'its signature is invalid';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && claim === 'aud') return `it was signed for another subgraph (this one is "${audience}")`;
  return 'it is not a valid gateway token';
}
