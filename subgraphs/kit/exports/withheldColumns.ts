import type { DocumentNode } from 'graphql';
import type { SubgraphPolicies } from '../auth/decideFieldAccess.js';
import { deniedValueFields, normaliseFieldName } from '../auth/deniedValueFields.js';
import type { CallerIdentity } from '../productDeclaration.js';

/** One governed field of the SDL, and why this caller may not read it. */
export interface WithheldColumn {
  column: string;
  /** The field that governs it (`SalesBucket.revenue`) and the reason, as `decideFieldAccess` words it. */
  reason: string;
}

/**
 * The columns of an export file this caller may not read. A file has no GraphQL layer to guard it, so
 * each column is judged as the fields of the same name are (`@authenticated`, `@requiresScopes`, `@policy`
 * on the field or its type, any type of the product's SDL): the caller must be allowed every one of them.
 * Matching by name can withhold too much, never too little.
 */
export function withheldColumns(
  columns: readonly string[],
  typeDefs: DocumentNode,
  identity: CallerIdentity | null | undefined,
  policies: SubgraphPolicies = {},
): WithheldColumn[] {
  const denials = new Map<string, string>();
  for (const { coordinate, reason } of deniedValueFields(typeDefs, identity, policies)) {
    const key = normaliseFieldName(coordinate.split('.')[1]);
    if (!denials.has(key)) denials.set(key, `${coordinate}: ${reason}`);
  }
  return columns.flatMap((column) => {
    const reason = denials.get(normaliseFieldName(column));
    return reason ? [{ column, reason }] : [];
  });
}
