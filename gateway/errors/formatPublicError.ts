/**
 * What the gateway lets out of an error. Subgraph errors arrive with whatever their server put in them
 * (Apollo Server adds `extensions.stacktrace` with absolute paths unless NODE_ENV=production, a foreign
 * subgraph may add more), and fetch failures name internal addresses. Clients get the message, the
 * code and `serviceName`; the detail goes to the gateway log.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** Where masked detail goes. */
export type PublicErrorLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** Extensions that are never public: stacks, exception dumps, raw HTTP responses (with their URL), requests. */
const INTERNAL_EXTENSIONS = new Set(['stacktrace', 'exception', 'response', 'query', 'variables', 'http', 'originalError']);

const ADDRESS = /\b(?:https?|wss?|postgres(?:ql)?|nats|redis):\/\/[^\s"'<>)\]]+/gi;
const HOST_PORT = /\b(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|localhost):\d{2,5}\b/gi;
const ABSOLUTE_PATH = /(?:^|(?<=[\s"'(=:]))(?:\/[\w.@+-]+){2,}\/?(?::\d+){0,2}/g;

/** The message with URLs, host:port pairs and absolute file paths replaced by placeholders. */
export function maskInternalDetails(message: string): string {
  return message.replace(ADDRESS, '[internal address]').replace(HOST_PORT, '[internal address]').replace(ABSOLUTE_PATH, '[path]');
}

/**
 * Public extensions of an error: internal keys dropped, nested objects dropped (only the gateway's own
 * structured extensions are trusted, and none are nested), strings masked.
 */
export function publicExtensions(extensions: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extensions ?? {})) {
    if (INTERNAL_EXTENSIONS.has(key)) continue;
    if (typeof value === 'string') out[key] = maskInternalDetails(value);
    else if (typeof value === 'number' || typeof value === 'boolean' || value === null) out[key] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string' || typeof item === 'number'))
      out[key] = value.map((item) => (typeof item === 'string' ? maskInternalDetails(item) : item));
  }
  return out;
}

/** Whether an error is an unexpected failure inside the gateway (a plain Error, not a coded GraphQLError). */
function isUnexpected(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return true;
  const original = error.originalError;
  return (
    !!original &&
    !(original instanceof GraphQLError) &&
    (error.extensions?.code === undefined || error.extensions.code === 'INTERNAL_SERVER_ERROR') &&
    !('serviceName' in (error.extensions ?? {}))
  );
}

/**
 * Apollo Server `formatError` of the gateway: strips internal extensions and addresses from every error
 * (subgraph errors included; `serviceName` and `code` stay), and replaces the message of an unexpected
 * failure with a fixed one, logging the original.
 */
export function formatPublicError(log: PublicErrorLog) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const extensions = publicExtensions(formatted.extensions);
    const hidden =
      formatted.message !== maskInternalDetails(formatted.message) || Object.keys(formatted.extensions ?? {}).some((key) => INTERNAL_EXTENSIONS.has(key));
    if (isUnexpected(error)) {
      log('error', `request failed${formatted.path ? ` at ${formatted.path.join('.')}` : ''}: ${detailOf(error)}`);
      return { message: 'Internal server error', ...(formatted.path && { path: formatted.path }), extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    if (hidden)
      log(
        'info',
        `masked internal detail of an error${typeof extensions.serviceName === 'string' ? ` from subgraph ${extensions.serviceName}` : ''}: ${formatted.message}`,
      );
    return { ...formatted, message: maskInternalDetails(formatted.message), extensions };
  };
}

/** The subgraph error a client may see: the gateway's sanitising of what a subgraph sent. */
export function publicSubgraphError(serviceName: string, error: GraphQLFormattedError, fallbackCode: string): GraphQLError {
  const extensions = { ...publicExtensions(error.extensions), code: error.extensions?.code ?? fallbackCode, serviceName };
  return new GraphQLError(maskInternalDetails(error.message), { extensions });
}

function detailOf(error: unknown): string {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  return original instanceof Error ? (original.stack ?? original.message) : String(original);
}
