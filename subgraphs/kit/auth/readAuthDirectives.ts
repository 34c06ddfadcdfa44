import { Kind, type ConstArgumentNode, type ConstDirectiveNode, type ConstValueNode, type DocumentNode } from 'graphql';

import type { AuthRequirement, AuthRequirements } from '../../../core/auth/AuthRequirement.js';
import { readLinks } from '../../../core/graphql/readLinks.js';

/** What one element of a subgraph's SDL demands (the same shape the gateway reads from the supergraph). */
export type AuthDirectiveRequirement = AuthRequirement;

/** The auth directives of a subgraph's SDL as declared (definitions and extensions merged). */
export type AuthDirectives = AuthRequirements;

type AuthDirective = 'authenticated' | 'requiresScopes' | 'policy';
const AUTH_DIRECTIVES: readonly AuthDirective[] = ['authenticated', 'requiresScopes', 'policy'];

/**
 * Reads `@authenticated`, `@requiresScopes(scopes:)` and `@policy(policies:)` from a subgraph's SDL (the
 * `schema/<domain>.graphql` document), with names resolved through its `@link`s as composition does:
 * imported names (renamed ones too: `{ name: "@requiresScopes", as: "@scopes" }`), or the namespaced
 * `@federation__authenticated` form when not imported.
 */
export function readAuthDirectives(typeDefs: DocumentNode): AuthDirectives {
  const names = directiveNames(typeDefs);
  const fields = new Map<string, AuthDirectiveRequirement>();
  const types = new Map<string, AuthDirectiveRequirement>();
  const add = (map: Map<string, AuthDirectiveRequirement>, key: string, directives: readonly ConstDirectiveNode[] | undefined) => {
    const own = requirementOf(directives ?? [], names);
    if (!own) return;
    const before = map.get(key);
    map.set(
      key,
      before
        ? {
            authenticated: before.authenticated || own.authenticated,
            scopes: [...before.scopes, ...own.scopes],
            policies: [...before.policies, ...own.policies],
          }
        : own,
    );
  };
  for (const definition of typeDefs.definitions) {
    switch (definition.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION:
        add(types, definition.name.value, definition.directives);
        for (const field of definition.fields ?? []) add(fields, `${definition.name.value}.${field.name.value}`, field.directives);
        break;
      case Kind.SCALAR_TYPE_DEFINITION:
      case Kind.SCALAR_TYPE_EXTENSION:
      case Kind.ENUM_TYPE_DEFINITION:
      case Kind.ENUM_TYPE_EXTENSION:
      case Kind.UNION_TYPE_DEFINITION:
      case Kind.UNION_TYPE_EXTENSION:
        add(types, definition.name.value, definition.directives);
        break;
      default:
    }
  }
  return { fields, types };
}

function requirementOf(directives: readonly ConstDirectiveNode[], names: ReadonlyMap<string, AuthDirective>): AuthDirectiveRequirement | null {
  let authenticated = false;
  const scopes: string[][][] = [];
  const policies: string[][][] = [];
  for (const directive of directives) {
    const kind = names.get(directive.name.value);
    if (kind === 'authenticated') authenticated = true;
    else if (kind === 'requiresScopes') scopes.push(groupsOf(directive.arguments, 'scopes'));
    else if (kind === 'policy') policies.push(groupsOf(directive.arguments, 'policies'));
  }
  return authenticated || scopes.length || policies.length ? { authenticated, scopes, policies } : null;
}

/** `[["a", "b"], ["c"]]` from a directive argument; a malformed one is an empty list, which no caller satisfies. */
function groupsOf(args: readonly ConstArgumentNode[] | undefined, name: string): string[][] {
  const value = args?.find((a) => a.name.value === name)?.value;
  const list = (node: ConstValueNode | undefined): ConstValueNode[] => (node?.kind === Kind.LIST ? [...node.values] : node ? [node] : []);
  return list(value).map((group) => list(group).flatMap((item) => (item.kind === Kind.STRING ? [item.value] : [])));
}

/** Local directive name → which auth directive it is, from the document's `@link`s. */
function directiveNames(typeDefs: DocumentNode): Map<string, AuthDirective> {
  const names = new Map<string, AuthDirective>();
  let linked = false;
  for (const link of readLinks(typeDefs)) {
    const spec = /^https:\/\/specs\.apollo\.dev\/(federation|authenticated|requiresScopes|policy)\/v[\d.]+$/.exec(link.url)?.[1];
    if (!spec) continue;
    linked = true;
    const offered: readonly AuthDirective[] = spec === 'federation' ? AUTH_DIRECTIVES : [spec as AuthDirective];
    const namespace = link.as ?? spec;
    const imported = new Set<AuthDirective>();
    for (const item of link.imports) {
      const directive = item.name.replace(/^@/, '') as AuthDirective;
      if (!offered.includes(directive)) continue;
      names.set(item.alias.replace(/^@/, ''), directive);
      imported.add(directive);
    }
    // A spec's eponymous directive is named after the link's namespace; federation's are prefixed with it.
    for (const directive of offered) if (!imported.has(directive)) names.set(spec === 'federation' ? `${namespace}__${directive}` : namespace, directive);
  }
  // A document without @link (not a Federation 2 subgraph) uses the plain names.
  if (!linked) for (const directive of AUTH_DIRECTIVES) names.set(directive, directive);
  return names;
}
