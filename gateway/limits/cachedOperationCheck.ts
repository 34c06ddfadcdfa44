import type { GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import { checkOperation, type CheckOperationInput, type CheckOperationResult } from './checkOperation.js';

/** Options of `cachedOperationCheck`. */
export interface CachedOperationCheckOptions {
  /** The limits every document is measured against (fixed for the gateway's life). */
  limits: CheckOperationInput['limits'];
  /** `@cost`/`@listSize` of the supergraph in service, read at every check. */
  costs: () => CheckOperationInput['costs'];
  /** How many admitted documents (with their variables) are remembered. @default 2000 */
  maxEntries?: number;
  /** Remembered documents' text (and variables' JSON) in characters at most. @default 16 MiB */
  maxChars?: number;
  /**
   * Texts seen once so far, remembered (their text only, in characters at most) so that a second sighting
   * admits the document into the cache. @default 1 MiB
   */
  maxSeenOnceChars?: number;
}

/** `checkOperation` with the document text (and variables) as the key. */
export type OperationCheck = (source: string, variables: Record<string, unknown> | null | undefined, schema: GraphQLSchema | null) => CheckOperationResult;

/**
 * `checkOperation` remembered per document: clients send the same few documents again and again, and
 * parsing and measuring each one again is per-request work whose outcome cannot change. The outcome is
 * a pure function of the text, the variables (the cost reads list sizes from them), the schema and the
 * cost directives: the key is the text and the variables' JSON, and an entry counts only for the schema
 * and cost directives it was measured with, so a new supergraph measures every document again. Only
 * admissions are remembered: a refusal is computed again each time (its error is a fresh object per
 * response, and refused traffic should not evict the documents in use).
 *
 * A document is remembered from its second sighting on, not its first: a parsed document holds its
 * tokens and locations (about 50 times its text), and texts sent once each (every dashboard viewer
 * naming its subscription its own way, say) would otherwise fill the cache with documents nobody asks
 * for again, evicting those in use and staying in memory after their clients left (issue #9: 10,000
 * clients with distinct names left 2,000 parsed documents, ~20 MB, behind). Only the text of a first
 * sighting is kept, in a smaller cache of its own.
 */
export function cachedOperationCheck(options: CachedOperationCheckOptions): OperationCheck {
  const { limits, costs, maxEntries = 2000, maxChars = 16 * 1024 * 1024, maxSeenOnceChars = 1024 * 1024 } = options;
  type Entry = { schema: GraphQLSchema | null; costs: CheckOperationInput['costs']; result: CheckOperationResult };
  const admitted = new LRUCache<string, Entry>({ max: maxEntries, maxSize: maxChars, sizeCalculation: (_value, key) => Math.max(1, key.length) });
  const seenOnce = new LRUCache<string, true>({ max: maxEntries * 4, maxSize: maxSeenOnceChars, sizeCalculation: (_value, key) => Math.max(1, key.length) });
  return (source, variables, schema) => {
    const inService = costs();
    const hasVariables = !!variables && Object.keys(variables).length > 0;
    const key = hasVariables ? `${source}\u0000${JSON.stringify(variables)}` : source;
    const known = admitted.get(key);
    if (known && known.schema === schema && known.costs === inService) return known.result;
    const result = checkOperation({ source, variables: variables ?? undefined, schema, costs: inService, limits });
    if (!result.ok || key.length > maxChars) return result;
    // Known (measured before for an older supergraph) or seen once before: worth keeping.
    if (known || seenOnce.delete(key)) admitted.set(key, { schema, costs: inService, result });
    else if (key.length <= maxSeenOnceChars) seenOnce.set(key, true);
    return result;
  };
}
