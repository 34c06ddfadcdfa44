import type { EnvFail } from '../../core/config/EnvFail.js';
import { observabilityConfigFromEnv, type ObservabilityConfig } from '../../core/observability/observabilityConfigFromEnv.js';
import type { CorsOptions } from '../http/corsFromOrigins.js';

/** The gateway's logging, metrics, tracing and CORS settings. */
export interface GatewayObservabilityConfig extends ObservabilityConfig {
  /** Cross-origin access for browser apps (`MESH_CORS_ORIGINS`, `MESH_CORS_CREDENTIALS`). @default none */
  cors: CorsOptions;
}

/**
 * `MESH_LOG_LEVEL`, `MESH_LOG_FORMAT`, `MESH_METRICS_TOKEN`, `MESH_TRACING`, `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (see `core/observability/observabilityConfigFromEnv.ts`), `MESH_CORS_ORIGINS` (comma-separated origins,
 * or `*`) and `MESH_CORS_CREDENTIALS` (`true`/`false`, default false; not with `*`).
 */
export function gatewayObservabilityFromEnv(env: NodeJS.ProcessEnv, fail: EnvFail): GatewayObservabilityConfig {
  const origins = (env.MESH_CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  for (const origin of origins) {
    if (origin !== '*' && !(/^https?:\/\/[^/]+$/.test(origin) && URL.canParse(origin)))
      fail('MESH_CORS_ORIGINS', env.MESH_CORS_ORIGINS, `"${origin}" is not an origin (scheme://host[:port]) or *`);
  }
  const flag = env.MESH_CORS_CREDENTIALS || 'false';
  if (flag !== 'true' && flag !== 'false') fail('MESH_CORS_CREDENTIALS', flag, 'true or false');
  if (flag === 'true' && origins.includes('*')) fail('MESH_CORS_CREDENTIALS', flag, 'credentials need an explicit MESH_CORS_ORIGINS list, not *');
  return { ...observabilityConfigFromEnv(env, Boolean(process.stderr.isTTY), fail), cors: { origins, credentials: flag === 'true' } };
}
