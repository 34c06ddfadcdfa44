import { envFail, type EnvFail } from './EnvFail.js';

/**
 * The setting that turns production checks on (`NODE_ENV=production` or `MESH_SECURE=true`), or null.
 * `MESH_SECURE=false` cannot switch the checks off under `NODE_ENV=production`.
 */
export function secureModeOf(env: NodeJS.ProcessEnv, fail: EnvFail = envFail): string | null {
  const flag = env.MESH_SECURE;
  if (flag !== undefined && flag !== '' && !['true', '1', 'false', '0'].includes(flag)) fail('MESH_SECURE', flag, 'true or false');
  if (env.NODE_ENV === 'production') return 'NODE_ENV=production';
  return flag === 'true' || flag === '1' ? 'MESH_SECURE=true' : null;
}
