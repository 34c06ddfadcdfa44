import type { DocumentNode } from 'graphql';
import type { CallerIdentity } from '../productDeclaration.js';
import { decideFieldAccess, type GoverningRequirement, type SubgraphPolicies } from './decideFieldAccess.js';
import { readAuthDirectives } from './readAuthDirectives.js';
import { isObjectOrInterfaceNode } from '../../../core/graphql/isObjectOrInterfaceNode.js';

/** Root fields guard operations, not values: their names say nothing about a value elsewhere. */
const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** `customerEmail`, `customer_email` and `CustomerEmail` are one name: files and payloads use snake_case. */
export const normaliseFieldName = (name: string) => name.toLowerCase().replace(/_/g, '');

/** A governed field of a product's SDL that an identity may not read. */
export interface DeniedValueField {
  /** `SalesBucket.revenue`. */
  coordinate: string;
  /** Why, as `decideFieldAccess` words it. */
  reason: string;
}

/**
 * The governed fields of a product's SDL (`@authenticated`, `@requiresScopes`, `@policy` on the field or
 * its type; object and interface types and their extensions, root types left out) that `identity` may not
 * read, in SDL order. For values that leave without the GraphQL layer guarding them (export files, event
 * mesh payloads), which match them by field name: that can withhold too much, never too little.
 */
export function deniedValueFields(typeDefs: DocumentNode, identity: CallerIdentity | null | undefined, policies: SubgraphPolicies = {}): DeniedValueField[] {
  const directives = readAuthDirectives(typeDefs);
  const denied: DeniedValueField[] = [];
  for (const definition of typeDefs.definitions) {
    if (!isObjectOrInterfaceNode(definition)) continue;
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
      if (reason) denied.push({ coordinate, reason });
    }
  }
  return denied;
}
