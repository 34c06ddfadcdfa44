import { getNamedType, isAbstractType, isInterfaceType, isObjectType, type GraphQLNamedType, type GraphQLSchema } from 'graphql';
import { parseSupergraph, type AuthRequirement, type AuthRequirements, type ParsedSupergraph } from '../../core/apollo/index.js';

/** Everything the auth layer derives from one supergraph. */
export interface AuthSchema {
  /**
   * The client-facing schema, never the one Apollo Server serves: the replay executes over it with its
   * own field resolver (Apollo Server writes `resolve` into the gateway's schema in place, which would
   * override ours). Shared, read-only, with the rest of the supergraph snapshot.
   */
  readonly schema: GraphQLSchema;
  /** The directives as declared. */
  readonly requirements: AuthRequirements;
  /** No auth directive anywhere: nothing to check. */
  readonly ungoverned: boolean;
  /**
   * What selecting `parentType.fieldName` requires, every source combined, or null when ungoverned:
   * the field's own directives; on an interface, the same field of every implementation (a caller may
   * not read through the interface what an implementation hides); and the type-level directives of the
   * returned type and, when it is abstract, of every possible type. Deliberately conservative.
   * Requirements do not flow from an interface down to its implementations: composition copies the
   * implementations' requirements up onto the interface, so an object's own declarations are exact.
   */
  requirementOf(parentType: string, fieldName: string): AuthRequirement | null;
}

/**
 * The auth view of a supergraph, from its SDL (parsed here) or from a supergraph already parsed (the
 * gateway's snapshot). Throws when the SDL is not a valid supergraph.
 */
export function loadAuthSchema(supergraph: string | ParsedSupergraph): AuthSchema {
  const parsed = typeof supergraph === 'string' ? parseSupergraph(supergraph) : supergraph;
  const schema = parsed.apiSchema;
  const requirements = parsed.authRequirements;
  const ungoverned = requirements.fields.size === 0 && requirements.types.size === 0;
  const cache = new Map<string, AuthRequirement | null>();

  const typeLevel = (type: GraphQLNamedType, into: Set<AuthRequirement>) => {
    const related: GraphQLNamedType[] = [type];
    if (isAbstractType(type)) related.push(...schema.getPossibleTypes(type));
    for (const t of related) {
      const requirement = requirements.types.get(t.name);
      if (requirement) into.add(requirement);
    }
  };

  const compute = (parentName: string, fieldName: string): AuthRequirement | null => {
    const parent = schema.getType(parentName);
    if (!isObjectType(parent) && !isInterfaceType(parent)) return null;
    const owners: Array<typeof parent> = [parent];
    if (isInterfaceType(parent)) {
      const { objects, interfaces } = schema.getImplementations(parent);
      owners.push(...objects, ...interfaces);
    }
    // A set: one declaration reached by several routes counts once.
    const parts = new Set<AuthRequirement>();
    for (const owner of owners) {
      const field = owner.getFields()[fieldName];
      if (!field) continue;
      const own = requirements.fields.get(`${owner.name}.${fieldName}`);
      if (own) parts.add(own);
      typeLevel(getNamedType(field.type), parts);
    }
    if (parts.size === 0) return null;
    const all = [...parts];
    return {
      authenticated: all.some((p) => p.authenticated),
      scopes: all.flatMap((p) => p.scopes),
      policies: all.flatMap((p) => p.policies),
    };
  };

  return {
    schema,
    requirements,
    ungoverned,
    requirementOf(parentType, fieldName) {
      if (ungoverned || fieldName.startsWith('__')) return null;
      const key = `${parentType}.${fieldName}`;
      if (!cache.has(key)) cache.set(key, compute(parentType, fieldName));
      return cache.get(key)!;
    },
  };
}
