import path from 'node:path';
import type { GatewayLimitsConfig } from './GatewayLimitsConfig.js';
import { DEFAULT_OPERATION_LIMITS, type OperationLimits } from './OperationLimits.js';
import type { EnvFail } from '../../core/config/EnvFail.js';

/** Where `npm run trust` writes and the gateway reads registered operations by default. */
export const DEFAULT_TRUSTED_DOCUMENTS_FILE = 'config/trusted-documents.json';

const OPERATION_VARIABLES: ReadonlyArray<[keyof OperationLimits, string]> = [
  ['maxTokens', 'MESH_LIMIT_MAX_TOKENS'],
  ['maxDepth', 'MESH_LIMIT_MAX_DEPTH'],
  ['maxAliases', 'MESH_LIMIT_MAX_ALIASES'],
  ['maxRootFields', 'MESH_LIMIT_MAX_ROOT_FIELDS'],
  ['maxSelections', 'MESH_LIMIT_MAX_SELECTIONS'],
  ['maxCost', 'MESH_LIMIT_MAX_COST'],
  ['defaultListSize', 'MESH_LIMIT_DEFAULT_LIST_SIZE'],
  ['groupByFanout', 'MESH_LIMIT_GROUP_BY_FANOUT'],
];

/**
 * The gateway's limits from the environment (called by `gatewayConfigFromEnv`, the one place that
 * reads it): `MESH_LIMIT_*` (a positive integer, or `off` for the `MAX_*` ones),
 * `MESH_TRUSTED_DOCUMENTS` (`off` | `allow` | `safelist`), `MESH_TRUSTED_DOCUMENTS_FILE`,
 * `MESH_RATE_LIMIT` (`<operations>/<seconds>` or `off`), `MESH_REDIS_URL`, `MESH_RATE_LIMIT_KEY_PREFIX`.
 * Defaults are in README.md, "Limits".
 */
export function limitsConfigFromEnv(env: NodeJS.ProcessEnv, fail: EnvFail): GatewayLimitsConfig {
  const integer = (variable: string, fallback: number, offAllowed: boolean): number => {
    const value = env[variable]?.trim();
    if (value === undefined || value === '') return fallback;
    if (offAllowed && value === 'off') return Infinity;
    if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value)))
      fail(variable, value, offAllowed ? 'a positive integer or off' : 'a positive integer');
    return Number(value);
  };
  const operations = Object.fromEntries(
    OPERATION_VARIABLES.map(([key, variable]) => [key, integer(variable, DEFAULT_OPERATION_LIMITS[key], key.startsWith('max'))]),
  ) as unknown as OperationLimits;

  const mode = env.MESH_TRUSTED_DOCUMENTS?.trim() || 'off';
  if (mode !== 'off' && mode !== 'allow' && mode !== 'safelist') fail('MESH_TRUSTED_DOCUMENTS', mode, 'off, allow or safelist');
  const file = path.resolve(env.MESH_TRUSTED_DOCUMENTS_FILE?.trim() || DEFAULT_TRUSTED_DOCUMENTS_FILE);

  const rate = env.MESH_RATE_LIMIT?.trim() || '600/60';
  let rateLimit: GatewayLimitsConfig['rateLimit'] = null;
  if (rate !== 'off') {
    const match = /^(\d+)\/(\d+)$/.exec(rate);
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) fail('MESH_RATE_LIMIT', rate, '<operations>/<seconds> (e.g. 600/60) or off');
    const redisUrl = env.MESH_REDIS_URL?.trim() || undefined;
    if (redisUrl && !/^rediss?:\/\/[^/]/.test(redisUrl)) fail('MESH_REDIS_URL', redisUrl, 'a redis:// or rediss:// URL');
    rateLimit = {
      points: Number(match[1]),
      windowSeconds: Number(match[2]),
      ...(redisUrl && { redisUrl }),
      keyPrefix: env.MESH_RATE_LIMIT_KEY_PREFIX?.trim() || 'mesh:rate',
    };
  }
  return {
    operations,
    maxBodyBytes: integer('MESH_LIMIT_MAX_BODY_BYTES', 1024 * 1024, false),
    maxWebsocketMessageBytes: integer('MESH_LIMIT_MAX_WS_MESSAGE_BYTES', 1024 * 1024, false),
    maxSubscriptionsPerSocket: integer('MESH_LIMIT_MAX_SUBSCRIPTIONS_PER_SOCKET', 25, false),
    trustedDocuments: mode === 'off' ? { mode: 'off' } : { mode: mode, file },
    rateLimit,
  };
}
