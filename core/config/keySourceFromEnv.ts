import path from 'node:path';
import { DEV_JWKS_FILE } from '../tokens/devCredentials.js';
import type { KeySource } from '../tokens/KeySource.js';
import { envFail, type EnvFail } from './EnvFail.js';

/**
 * Where token signing keys come from: `MESH_AUTH_JWKS_URL` (an http(s) URL of the identity provider's
 * JWKS) or `MESH_AUTH_JWKS_FILE` (default `DEV_JWKS_FILE`, resolved against the working directory).
 * Setting both fails.
 */
export function keySourceFromEnv(env: NodeJS.ProcessEnv, fail: EnvFail = envFail): KeySource {
  if (env.MESH_AUTH_JWKS_URL && env.MESH_AUTH_JWKS_FILE)
    fail('MESH_AUTH_JWKS_FILE', env.MESH_AUTH_JWKS_FILE, 'set either MESH_AUTH_JWKS_URL or MESH_AUTH_JWKS_FILE, not both');
  if (env.MESH_AUTH_JWKS_URL) {
    if (!/^https?:\/\//.test(env.MESH_AUTH_JWKS_URL) || !URL.canParse(env.MESH_AUTH_JWKS_URL))
      fail('MESH_AUTH_JWKS_URL', env.MESH_AUTH_JWKS_URL, 'an http(s) URL of a JWKS');
    return { kind: 'jwks-url', url: env.MESH_AUTH_JWKS_URL };
  }
  return { kind: 'local', jwksFile: path.resolve(env.MESH_AUTH_JWKS_FILE || DEV_JWKS_FILE) };
}
