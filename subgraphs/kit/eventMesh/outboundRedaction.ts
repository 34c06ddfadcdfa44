import { Kind, type DocumentNode } from 'graphql';
import { decideFieldAccess, type GoverningRequirement } from '../auth/decideFieldAccess.js';
import { readAuthDirectives } from '../auth/readAuthDirectives.js';
import type { EventMeshAudience } from './EventMeshConfig.js';

/** What outbound events leave out, and the function that leaves it out. */
export interface OutboundRedaction {
  /** Governed field coordinates whose values stay home (`Order.customerEmail`), for the catalog. */
  withheld: string[];
  /** A copy of an event payload without the withheld fields (matched by name at any depth). */
  redact<T>(data: T): T;
}

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** `customerEmail`, `customer_email` and `CustomerEmail` are one name: payload keys follow the rollups' snake_case. */
const normalise = (name: string) => name.toLowerCase().replace(/_/g, '');

/**
 * Which governed fields may go out to the event mesh. A change event carries values of the product's
 * entities (a state's value, a bucket's dimensions) without the GraphQL layer that guards them, so the
 * bridge judges each governed field of the SDL against the declared audience as `decideFieldAccess`
 * judges a caller: without a declaration (or with too few scopes) the field is withheld. Matching is by
 * field name across all types, which can withhold too much but never too little.
 */
export function outboundRedaction(typeDefs: DocumentNode, audience: EventMeshAudience | undefined): OutboundRedaction {
  const directives = readAuthDirectives(typeDefs);
  const fieldsOf = new Map<string, string[]>();
  for (const definition of typeDefs.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION
    )
      continue;
    const fields = fieldsOf.get(definition.name.value) ?? [];
    fields.push(...(definition.fields ?? []).map((f) => f.name.value));
    fieldsOf.set(definition.name.value, fields);
  }
  const identity = audience ? { sub: `audience:${audience.name}`, scopes: audience.scopes, claims: { kind: 'user' } } : null;
  const policies = Object.fromEntries((audience?.policies ?? []).map((name) => [name, () => true]));
  const withheld: string[] = [];
  for (const [type, fields] of fieldsOf) {
    if (ROOT_TYPES.has(type)) continue;
    for (const field of fields) {
      const requirements: GoverningRequirement[] = [];
      const own = directives.fields.get(`${type}.${field}`);
      if (own) requirements.push({ declaredOn: `${type}.${field}`, requirement: own });
      const ofType = directives.types.get(type);
      if (ofType) requirements.push({ declaredOn: `type ${type}`, requirement: ofType });
      if (requirements.length && decideFieldAccess(requirements, identity, policies) !== null) withheld.push(`${type}.${field}`);
    }
  }
  const names = new Set(withheld.map((coordinate) => normalise(coordinate.split('.')[1])));
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !names.has(normalise(key)))
        .map(([key, v]) => [key, strip(v)]),
    );
  };
  return { withheld: [...new Set(withheld)].sort(), redact: <T>(data: T) => (names.size ? (strip(data) as T) : data) };
}
