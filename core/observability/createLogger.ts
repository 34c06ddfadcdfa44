import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { currentRequest } from './requestContext.js';

export type { Logger } from 'pino';

/** Log levels a mesh process takes (`MESH_LOG_LEVEL`). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Paths pino replaces with `[redacted]` in every record: credentials (bearer tokens, the gateway's signed
 * identity, websocket connection params, producer tokens) and personal data that requests may carry
 * (e-mail addresses, names, phone numbers in variables). Wildcards cover one level of nesting.
 */
export const REDACTED_PATHS = [
  'authorization',
  'token',
  'password',
  'secret',
  'headers.authorization',
  'headers.cookie',
  'headers["x-mesh-gateway-token"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-mesh-gateway-token"]',
  'connectionParams',
  '*.authorization',
  '*.token',
  '*.password',
  '*.secret',
  '*.connectionParams',
  'variables.*.email',
  'variables.*.phone',
  'variables.*.name',
  'variables.email',
  'variables.phone',
  'variables.name',
];

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** The process's name in every record (`name`), e.g. `gateway` or `orders-subgraph`. */
  name: string;
  /** Least severe level written. @default 'info' */
  level?: LogLevel;
  /**
   * `json`: one JSON object a line (for log shippers); `pretty`: coloured lines through pino-pretty (for a
   * terminal).
   * @default 'json'
   */
  format?: 'json' | 'pretty';
  /** Where JSON records go (tests pass a stream to read them back). @default stderr */
  destination?: DestinationStream;
}

/**
 * The mesh's structured logger: pino with the redaction above and the current request's id
 * (`requestId`, see `requestContext.ts`) on every record written while serving a request.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const { name, level = 'info', format = 'json', destination } = options;
  const settings: LoggerOptions = {
    name,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: () => {
      const scope = currentRequest();
      return scope ? { requestId: scope.requestId } : {};
    },
  };
  if (format === 'pretty' && !destination) return pino({ ...settings, transport: { target: 'pino-pretty', options: { destination: 2 } } });
  return pino(settings, destination ?? pino.destination({ dest: 2, sync: true }));
}
