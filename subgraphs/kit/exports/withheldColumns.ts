import { Kind, type DocumentNode } from 'graphql';
import { decideFieldAccess, type GoverningRequirement, type SubgraphPolicies } from '../auth/decideFieldAccess.js';
import { readAuthDirectives } from '../auth/readAuthDirectives.js';
import type { CallerIdentity } from '../productDeclaration.js';

/** Root fields guard operations, not values: their names say nothing about a column. */
const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** A column name and a field name are one name: `customer_email` is `customerEmail`. */
const normalise = (name: string) => name.toLowerCase().replace(/_/g, '');

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
  const directives = readAuthDirectives(typeDefs);
  const denials = new Map<string, string>();
  for (const definition of typeDefs.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    )
      continue;
    const type = definition.name.value;
    if (ROOT_TYPES.has(type)) continue;
    for (const field of definition.fields ?? []) {
      const coordinate = `${type}.${field.name.value}`;
      const governing: GoverningRequirement[] = [];
      const own = directives.fields.get(coordinate);
      if (own) governing.push({ declaredOn: coordinate, requirement: own });
      const ofType = directives.types.get(type);
      if (ofType) governing.push({ declaredOn: `type ${type}`, requirement: ofType });
      const reason = governing.length ? decideFieldAccess(governing, identity, policies) : null;
      const key = normalise(field.name.value);
      if (reason && !denials.has(key)) denials.set(key, `${coordinate}: ${reason}`);
    }
  }
  return columns.flatMap((column) => {
    const reason = denials.get(normalise(column));
    return reason ? [{ column, reason }] : [];
  });
}
