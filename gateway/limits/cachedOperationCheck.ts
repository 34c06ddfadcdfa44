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
 */
export function cachedOperationCheck(options: CachedOperationCheckOptions): OperationCheck {
  const { limits, costs, maxEntries = 2000, maxChars = 16 * 1024 * 1024 } = options;
  type Entry = { schema: GraphQLSchema | null; costs: CheckOperationInput['costs']; result: CheckOperationResult };
  const admitted = new LRUCache<string, Entry>({ max: maxEntries, maxSize: maxChars, sizeCalculation: (_value, key) => Math.max(1, key.length) });
  return (source, variables, schema) => {
    const inService = costs();
    const hasVariables = !!variables && Object.keys(variables).length > 0;
    const key = hasVariables ? `${source}\u0000${JSON.stringify(variables)}` : source;
    const known = admitted.get(key);
    if (known && known.schema === schema && known.costs === inService) return known.result;
    const result = checkOperation({ source, variables: variables ?? undefined, schema, costs: inService, limits });
    if (result.ok && key.length <= maxChars) admitted.set(key, { schema, costs: inService, result });
    return result;
  };
}
