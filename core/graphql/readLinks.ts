import { Kind, type DocumentNode } from 'graphql';

/** One element a `@link` imports: its name in the spec and its local name, both with their `@`. */
export interface LinkImport {
  /** The name in the linked spec (`@requiresScopes`). */
  readonly name: string;
  /** The local name in this document (`@scopes` for `{ name: "@requiresScopes", as: "@scopes" }`; else `name`). */
  readonly alias: string;
}

/** One `@link(url:, as:, import:)` of a document's schema definition or extension. */
export interface Link {
  /** The spec's URL (`https://specs.apollo.dev/federation/v2.9`). */
  readonly url: string;
  /** The link's `as:` namespace, when given. */
  readonly as?: string;
  /** Its `import:` list; malformed items (neither a string nor `{ name, as }`) are left out. */
  readonly imports: readonly LinkImport[];
}

/**
 * The `@link`s of a document (schema definitions and extensions), as composition reads them: the
 * url, the namespace and the imports with their local names. Links without a string `url` are left out.
 */
export function readLinks(document: DocumentNode): Link[] {
  const links: Link[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const link of definition.directives ?? []) {
      if (link.name.value !== 'link') continue;
      const argument = (name: string) => link.arguments?.find((a) => a.name.value === name)?.value;
      const url = argument('url');
      if (url?.kind !== Kind.STRING) continue;
      const as = argument('as');
      const imports: LinkImport[] = [];
      const list = argument('import');
      for (const item of list?.kind === Kind.LIST ? list.values : []) {
        if (item.kind === Kind.STRING) imports.push({ name: item.value, alias: item.value });
        if (item.kind !== Kind.OBJECT) continue;
        const [name, alias] = ['name', 'as'].map((key) => {
          const field = item.fields.find((f) => f.name.value === key)?.value;
          return field?.kind === Kind.STRING ? field.value : undefined;
        });
        if (name) imports.push({ name, alias: alias ?? name });
      }
      links.push({ url: url.value, ...(as?.kind === Kind.STRING && { as: as.value }), imports });
    }
  }
  return links;
}
