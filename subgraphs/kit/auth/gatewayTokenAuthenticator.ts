import { jwtVerify } from 'jose';
import type { CallerIdentity } from '../serveDataProduct.js';

/** The header the gateway puts its signed identity statement in. */
export const GATEWAY_TOKEN_HEADER = 'x-mesh-gateway-token';

/** Options of the gateway-token check. */
export interface GatewayTokenAuthenticatorOptions {
  /** The secret shared with the gateway (`MESH_GATEWAY_SECRET`). */
  secret: string;
  /** @default 'mesh-gateway' */
  issuer?: string;
  /** @default 'mesh-subgraphs' */
  audience?: string;
  /** Tolerated clock skew in seconds. @default 5 */
  clockToleranceSeconds?: number;
}

/**
 * An `authenticateRequest` for `serveDataProduct` that accepts only requests carrying a valid,
 * unexpired HS256 token signed by the gateway (header `x-mesh-gateway-token`, or the same key in the
 * graphql-ws `connection_init` payload). The identity inside becomes `context.identity`. A subgraph
 * trusts nobody else: clients go through the gateway, which enforces field-level authorization.
 */
export function gatewayTokenAuthenticator(options: GatewayTokenAuthenticatorOptions): (headers: Record<string, string | undefined>) => Promise<CallerIdentity> {
  const { secret, issuer = 'mesh-gateway', audience = 'mesh-subgraphs', clockToleranceSeconds = 5 } = options;
  if (secret.length < 32) throw new Error('the gateway secret must be at least 32 characters long');
  const key = new TextEncoder().encode(secret);
  return async (headers) => {
    const token = headers[GATEWAY_TOKEN_HEADER];
    if (!token) throw new Error(`this subgraph only answers the gateway: the ${GATEWAY_TOKEN_HEADER} header is missing`);
    try {
      const { payload } = await jwtVerify(token, key, { issuer, audience, algorithms: ['HS256'], requiredClaims: ['exp', 'iat'], clockTolerance: clockToleranceSeconds });
      const scopes = Array.isArray(payload.scopes) ? payload.scopes.filter((s): s is string => typeof s === 'string') : [];
      return { sub: typeof payload.sub === 'string' ? payload.sub : undefined, scopes, claims: { ...payload } };
    } catch (error) {
      const code = (error as { code?: string }).code;
      const why = code === 'ERR_JWT_EXPIRED' ? 'it has expired' : code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'its signature is invalid' : 'it is not a valid gateway token';
      throw new Error(`the ${GATEWAY_TOKEN_HEADER} was refused: ${why}`);
    }
  };
}
