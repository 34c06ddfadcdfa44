import { Supergraph, type Directive, type Schema } from '@apollo/federation-internals';

import type { AuthRequirement, AuthRequirements } from '../../core/auth/AuthRequirement.js';

export type { AuthRequirement, AuthRequirements } from '../../core/auth/AuthRequirement.js';

const SPECS = {
  authenticated: 'https://specs.apollo.dev/authenticated',
  requiresScopes: 'https://specs.apollo.dev/requiresScopes',
  policy: 'https://specs.apollo.dev/policy',
} as const;

/**
 * Reads `@authenticated`, `@requiresScopes(scopes:)` and `@policy(policies:)` from a supergraph. Names
 * are resolved through the supergraph's `@link`s, so a subgraph that imports them renamed
 * (`import: [{ name: "@requiresScopes", as: "@scopes" }]`) is read correctly. They are not on the API
 * schema, which is why this reads the supergraph itself.
 */
export function readAuthRequirements(supergraph: string | Supergraph): AuthRequirements {
  const schema = (typeof supergraph === 'string' ? Supergraph.build(supergraph, { supportedFeatures: null }) : supergraph).schema;
  const names = directiveNames(schema);
  const fields = new Map<string, AuthRequirement>();
  const types = new Map<string, AuthRequirement>();
  if (!names.authenticated && !names.requiresScopes && !names.policy) return { fields, types };

  const requirementOf = (element: { appliedDirectivesOf(name: string): Directive[] }): AuthRequirement | null => {
    const authenticated = names.authenticated ? element.appliedDirectivesOf(names.authenticated).length > 0 : false;
    const scopes = names.requiresScopes ? element.appliedDirectivesOf(names.requiresScopes).map((d) => groups(d.arguments().scopes)) : [];
    const policies = names.policy ? element.appliedDirectivesOf(names.policy).map((d) => groups(d.arguments().policies)) : [];
    return authenticated || scopes.length || policies.length ? { authenticated, scopes, policies } : null;
  };

  for (const type of schema.types()) {
    if (type.isBuiltIn) continue;
    if (type.kind === 'ObjectType' || type.kind === 'InterfaceType' || type.kind === 'ScalarType' || type.kind === 'EnumType') {
      const own = requirementOf(type);
      if (own) types.set(type.name, own);
    }
    if (type.kind === 'ObjectType' || type.kind === 'InterfaceType') {
      for (const field of type.fields()) {
        const own = requirementOf(field);
        if (own) fields.set(`${type.name}.${field.name}`, own);
      }
    }
  }
  return { fields, types };
}

function directiveNames(schema: Schema): Record<keyof typeof SPECS, string | undefined> {
  const features = schema.coreFeatures;
  const nameOf = (key: keyof typeof SPECS) => features?.getByIdentity(SPECS[key])?.directiveNameInSchema(key);
  return { authenticated: nameOf('authenticated'), requiresScopes: nameOf('requiresScopes'), policy: nameOf('policy') };
}

function groups(value: unknown): string[][] {
  if (!Array.isArray(value)) return [];
  return value.map((group) => (Array.isArray(group) ? group.filter((s): s is string => typeof s === 'string') : []));
}
