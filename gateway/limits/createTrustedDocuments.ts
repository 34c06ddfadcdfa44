import { ErrorCode } from '../../core/errors/ErrorCode.js';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { GraphQLError } from 'graphql';
import { limitError } from './limitError.js';
import { normalizedDocument, parseManifest, sha256Hex, type PersistedQueryManifest } from './persistedQueryManifest.js';

/**
 * Trusted documents (registered operations). `off`: none, Apollo's automatic persisted queries (APQ)
 * work as usual. `allow`: registered ids resolve to their document, anything else still runs (APQ
 * included). `safelist`: only registered operations run, sent by id or as their text; APQ is off.
 */
export type TrustedDocumentsConfig = { mode: 'off' } | { mode: 'allow' | 'safelist'; /** the manifest file (see `persistedQueryManifest.ts`) */ file: string };

/** The document-related fields of a request, over HTTP or websocket. */
export interface DocumentRequest {
  query?: string;
  extensions?: Record<string, unknown>;
  /** GraphQL-over-HTTP persisted documents: `sha256:<hex>` or a bare id. */
  documentId?: unknown;
}

/** Resolves requests against the registered documents; `close` stops watching the file. */
export interface TrustedDocuments {
  readonly mode: TrustedDocumentsConfig['mode'];
  /**
   * The request with its document filled in from the store when it names a registered id (and the
   * `persistedQuery` extension removed, so APQ does not handle it again), or the refusal.
   */
  resolve(request: DocumentRequest): { query?: string; extensions?: Record<string, unknown> } | GraphQLError;
  close(): void;
}

/** How often the manifest file is checked for changes (registrations need no restart). */
const WATCH_INTERVAL_MS = 2_000;

type Index = { byId: Map<string, string>; exact: Set<string>; normalized: Set<string>; longest: number };

const indexOf = (manifest: PersistedQueryManifest): Index => {
  const normalized = new Set(manifest.operations.map((op) => normalizedDocument(op.body)!));
  return {
    byId: new Map(manifest.operations.map((op) => [op.id.replace(/^sha256:/, ''), op.body])),
    exact: new Set(manifest.operations.map((op) => op.body)),
    normalized,
    longest: Math.max(0, ...manifest.operations.map((op) => op.body.length)),
  };
};

/**
 * Reads the manifest file at start (a missing or invalid file is an error: the gateway must not start
 * without the safelist it was told to enforce) and again whenever it changes; a bad edit keeps the
 * previous list and is logged.
 */
export function createTrustedDocuments(config: TrustedDocumentsConfig, log: (message: string) => void = () => {}): TrustedDocuments {
  if (config.mode === 'off') return { mode: 'off', resolve: (request) => ({ query: request.query, extensions: request.extensions }), close: () => {} };
  const { mode, file } = config;
  const read = () => indexOf(parseManifest(readFileSync(file, 'utf8'), `the trusted documents file ${file}`));
  let index = read();
  const onChange = () => {
    try {
      index = read();
      log(`trusted documents reloaded from ${file}: ${index.byId.size} operation(s)`);
    } catch (error) {
      log(`trusted documents file ${file} was not reloaded, keeping ${index.byId.size} operation(s): ${(error as Error).message}`);
    }
  };
  watchFile(file, { interval: WATCH_INTERVAL_MS, persistent: false }, onChange);

  return {
    mode,
    close: () => unwatchFile(file, onChange),
    resolve(request) {
      const persisted = request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
      const rawId = typeof request.documentId === 'string' ? request.documentId : typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
      const id = rawId?.replace(/^sha256:/, '');
      const { persistedQuery: _apq, ...otherExtensions } = request.extensions ?? {};
      if (id !== undefined) {
        const body = index.byId.get(id);
        if (body !== undefined) return { query: body, extensions: otherExtensions };
        // An unknown id in allow mode may still be an APQ hash; a bare documentId cannot be.
        if (mode === 'allow' && persisted && request.documentId === undefined) return { query: request.query, extensions: request.extensions };
        if (mode === 'safelist' && request.query) return checkText(request.query, otherExtensions);
        return limitError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, `PersistedQueryNotFound: no registered document has the id ${JSON.stringify(rawId)}.`);
      }
      if (mode === 'allow' || request.query === undefined) return { query: request.query, extensions: request.extensions };
      return checkText(request.query, request.extensions);
    },
  };

  function checkText(query: string, extensions: Record<string, unknown> | undefined) {
    // Parsing to normalise is only worth it for a text about the size of a registered one: a huge
    // unregistered document is refused without being parsed.
    if (index.exact.has(query)) return { query, extensions };
    const normalized = query.length <= 4 * index.longest + 1024 ? normalizedDocument(query) : null;
    if (normalized !== null && index.normalized.has(normalized)) return { query, extensions };
    return limitError(
      ErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
      'This operation is not in the list of trusted documents (safelist mode): register it with `npm run trust`.',
    );
  }
}

/** The id clients send for a registered body (same as the manifest's). */
export const documentIdOf = (body: string) => sha256Hex(body);
