import { readFileSync } from 'node:fs';
import { DEV_GATEWAY_SECRET } from '../tokens/devCredentials.js';
import { MIN_GATEWAY_SECRET_LENGTH } from '../tokens/gatewayToken.js';
import { envFail, type EnvFail } from './EnvFail.js';

/**
 * The secret the gateway and the subgraphs share: `MESH_GATEWAY_SECRET`, or the content of
 * `MESH_GATEWAY_SECRET_FILE` (Docker secrets) without its trailing newline, or `DEV_GATEWAY_SECRET`
 * when neither is set. Fails for both set, an unreadable file, or fewer than 32 characters.
 */
export function gatewaySecretFromEnv(env: NodeJS.ProcessEnv, fail: EnvFail = envFail): string {
  if (env.MESH_GATEWAY_SECRET && env.MESH_GATEWAY_SECRET_FILE)
    fail('MESH_GATEWAY_SECRET_FILE', env.MESH_GATEWAY_SECRET_FILE, 'set either MESH_GATEWAY_SECRET or MESH_GATEWAY_SECRET_FILE, not both');
  let secret = env.MESH_GATEWAY_SECRET || DEV_GATEWAY_SECRET;
  if (env.MESH_GATEWAY_SECRET_FILE) {
    try {
      secret = readFileSync(env.MESH_GATEWAY_SECRET_FILE, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      fail('MESH_GATEWAY_SECRET_FILE', env.MESH_GATEWAY_SECRET_FILE, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  if (secret.length < MIN_GATEWAY_SECRET_LENGTH)
    fail(env.MESH_GATEWAY_SECRET_FILE ? 'MESH_GATEWAY_SECRET_FILE' : 'MESH_GATEWAY_SECRET', '<hidden>', `at least ${MIN_GATEWAY_SECRET_LENGTH} characters`);
  return secret;
}
