import type { DocumentNode } from 'graphql';
import { deniedValueFields, normaliseFieldName } from '../auth/deniedValueFields.js';
import type { EventMeshAudience } from './EventMeshConfig.js';

/** What outbound events leave out, and the function that leaves it out. */
export interface OutboundRedaction {
  /** Governed field coordinates whose values stay home (`Order.customerEmail`), for the catalog. */
  withheld: string[];
  /** A copy of an event payload without the withheld fields (matched by name at any depth). */
  redact<T>(data: T): T;
}

/**
 * Which governed fields may go out to the event mesh. A change event carries values of the product's
 * entities (a state's value, a bucket's dimensions) without the GraphQL layer that guards them, so the
 * bridge judges each governed field of the SDL against the declared audience as `decideFieldAccess`
 * judges a caller: without a declaration (or with too few scopes) the field is withheld. Matching is by
 * field name across all types, which can withhold too much but never too little.
 */
export function outboundRedaction(typeDefs: DocumentNode, audience: EventMeshAudience | undefined): OutboundRedaction {
  const identity = audience ? { sub: `audience:${audience.name}`, scopes: audience.scopes, claims: { kind: 'user' } } : null;
  const policies = Object.fromEntries((audience?.policies ?? []).map((name) => [name, () => true]));
  const withheld = deniedValueFields(typeDefs, identity, policies).map(({ coordinate }) => coordinate);
  const names = new Set(withheld.map((coordinate) => normaliseFieldName(coordinate.split('.')[1])));
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !names.has(normaliseFieldName(key)))
        .map(([key, v]) => [key, strip(v)]),
    );
  };
  return { withheld: [...new Set(withheld)].sort(), redact: <T>(data: T) => (names.size ? (strip(data) as T) : data) };
}
