import { Kind, type ConstDirectiveNode, type DocumentNode } from 'graphql';
import { stricterClassification } from './ClassificationLevel.js';
import { isObjectOrInterfaceNode } from '../graphql/isObjectOrInterfaceNode.js';
import { readLinks } from '../graphql/readLinks.js';

/** What `@classification` says in one document, lowercased (`pii`). */
export interface Classifications {
  /**
   * Field coordinate (`Order.customerEmail`) → its level: the stricter of the field's own directive and
   * its type's. Fields of classified types are listed even without a directive of their own.
   */
  readonly fields: ReadonlyMap<string, string>;
  /** Type name → the level its own directive gives every field of it. */
  readonly types: ReadonlyMap<string, string>;
}

/** `https://<host>/classification/v1.0`: the spec identifier any version of our directive is linked with. */
const SPEC_URL = /^https:\/\/[^/]+\/classification\/v\d+\.\d+$/;

/**
 * Reads `@classification(level:)` from a subgraph's SDL or from a supergraph (composition keeps the
 * directive there through `@composeDirective`, with the same `@link`). The directive's local name is
 * resolved through the document's `@link` to the classification spec as composition resolves it: an
 * import (renamed ones too), else the link's namespace (the spec's eponymous directive); a document without that link uses the
 * plain name, unless another spec's link imports it. Object and interface types and their extensions are read.
 */
export function readClassifications(document: DocumentNode): Classifications {
  const names = directiveNames(document);
  const levelOf = (directives: readonly ConstDirectiveNode[] | undefined) => {
    let level: string | undefined;
    for (const directive of directives ?? []) {
      if (!names.has(directive.name.value)) continue;
      const value = directive.arguments?.find((a) => a.name.value === 'level')?.value;
      // A level that is no enum value or string is unreadable: the strictest rank, never public.
      const own = value?.kind === Kind.ENUM || value?.kind === Kind.STRING ? value.value.toLowerCase() : 'restricted';
      level = stricterClassification(level, own);
    }
    return level;
  };
  const types = new Map<string, string>();
  const own = new Map<string, string>();
  const fieldsOf = new Map<string, string[]>();
  for (const definition of document.definitions) {
    if (!isObjectOrInterfaceNode(definition)) continue;
    const type = definition.name.value;
    const typeLevel = stricterClassification(types.get(type), levelOf(definition.directives));
    if (typeLevel) types.set(type, typeLevel);
    for (const field of definition.fields ?? []) {
      const coordinate = `${type}.${field.name.value}`;
      (fieldsOf.get(type) ?? fieldsOf.set(type, []).get(type)!).push(coordinate);
      const level = stricterClassification(own.get(coordinate), levelOf(field.directives));
      if (level) own.set(coordinate, level);
    }
  }
  const fields = new Map<string, string>();
  for (const [type, coordinates] of fieldsOf) {
    for (const coordinate of coordinates) {
      const level = stricterClassification(own.get(coordinate), types.get(type));
      if (level) fields.set(coordinate, level);
    }
  }
  return { fields, types };
}

/** Local names of the classification directive in this document. */
function directiveNames(document: DocumentNode): Set<string> {
  const names = new Set<string>();
  let linked = false;
  let claimed = false;
  for (const link of readLinks(document)) {
    if (!SPEC_URL.test(link.url)) {
      // Another spec's import of the name takes it: that `@classification` is not ours.
      if (link.imports.some((item) => item.alias === '@classification')) claimed = true;
      continue;
    }
    linked = true;
    const imported = link.imports.filter((item) => item.name === '@classification');
    for (const item of imported) names.add(item.alias.replace(/^@/, ''));
    // The spec's eponymous directive is named after the link's namespace when not imported.
    if (!imported.length) names.add(link.as ?? 'classification');
  }
  if (!linked && !claimed) names.add('classification');
  return names;
}
