import { envFail, type EnvFail } from '../config/EnvFail.js';
import { LOG_LEVELS, type LogLevel } from './createLogger.js';

/** Logging, metrics and tracing settings of one mesh process (gateway or subgraph). */
export interface ObservabilityConfig {
  /** `MESH_LOG_LEVEL`. @default 'info' */
  logLevel: LogLevel;
  /**
   * `MESH_LOG_FORMAT`: `json` lines, or `pretty` (pino-pretty).
   * @default 'pretty' when stderr is a terminal outside production, else 'json'
   */
  logFormat: 'json' | 'pretty';
  /**
   * `MESH_METRICS_TOKEN`: `/metrics` then answers only `Authorization: Bearer <token>`. Without it,
   * `/metrics` is open outside production and closed (403) in production.
   */
  metricsToken?: string;
  /** Whether `/metrics` answers without a token (no token set and not in production). */
  metricsOpen: boolean;
  /**
   * OTLP/HTTP collector base URL when tracing is on: `OTEL_EXPORTER_OTLP_ENDPOINT`, or
   * `MESH_TRACING=otlp` (then `http://127.0.0.1:4318`). `MESH_TRACING=off` wins over the endpoint.
   * @default tracing off
   */
  otlpEndpoint?: string;
}

const LOCAL_COLLECTOR = 'http://127.0.0.1:4318';

/**
 * Reads `MESH_LOG_LEVEL`, `MESH_LOG_FORMAT`, `MESH_METRICS_TOKEN`, `MESH_TRACING`,
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (with `NODE_ENV` for the defaults). Throws, naming the variable, for a
 * bad value.
 */
export function observabilityConfigFromEnv(env: NodeJS.ProcessEnv, stderrIsTerminal = false, fail: EnvFail = envFail): ObservabilityConfig {
  const production = env.NODE_ENV === 'production';
  const logLevel = (env.MESH_LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) fail('MESH_LOG_LEVEL', env.MESH_LOG_LEVEL, LOG_LEVELS.join(', '));
  const logFormat = env.MESH_LOG_FORMAT || (stderrIsTerminal && !production ? 'pretty' : 'json');
  if (logFormat !== 'json' && logFormat !== 'pretty') fail('MESH_LOG_FORMAT', env.MESH_LOG_FORMAT, 'json or pretty');
  const metricsToken = env.MESH_METRICS_TOKEN?.trim() || undefined;
  if (metricsToken && metricsToken.length < 16) fail('MESH_METRICS_TOKEN', '[redacted]', 'at least 16 characters');
  const tracing = env.MESH_TRACING || (env.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : 'off');
  if (tracing !== 'off' && tracing !== 'otlp') fail('MESH_TRACING', env.MESH_TRACING, 'off or otlp');
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || LOCAL_COLLECTOR;
  if (tracing === 'otlp' && !/^https?:\/\//.test(endpoint)) fail('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint, 'an http(s) URL of an OTLP/HTTP collector');
  return {
    logLevel,
    logFormat,
    ...(metricsToken && { metricsToken }),
    metricsOpen: !metricsToken && !production,
    ...(tracing === 'otlp' && { otlpEndpoint: endpoint }),
  };
}
