import { readFileSync } from 'node:fs';

/**
 * The development secret the gateway and the subgraphs share by default, so `npm start` is locked down
 * without setup. Public knowledge: in production (`NODE_ENV=production` or `MESH_SECURE=true`) both
 * refuse to start with it.
 */
export const DEV_GATEWAY_SECRET = 'mesh-dev-gateway-secret-not-for-production';

/** The committed development key set (public half); production uses the identity provider's JWKS URL. */
export const DEV_JWKS_FILE = 'config/dev-jwks.public.json';

/** The `x` coordinate of the committed development key, recognised in any JWKS file (a copy, a renamed `kid`). */
const DEV_KEY_X = 'dTUPRH3iydVj4YEQTP6cRdHxhCCo3H0D107YYA8a2UQ';

/** Whether a JWKS file holds the committed development key; an unreadable file is reported when keys load. */
export function holdsDevKey(jwksFile: string): boolean {
  try {
    const { keys } = JSON.parse(readFileSync(jwksFile, 'utf8')) as { keys?: Array<{ x?: unknown }> };
    return Array.isArray(keys) && keys.some((key) => key?.x === DEV_KEY_X);
  } catch {
    return false;
  }
}
