import { Kind, parse, visit, type DefinitionNode } from 'graphql';

/** The file in a schema folder that holds the types the subgraphs share. */
export const SHARED_SDL_FILE = 'shared.graphql';

/** Types by their name, directives by `@name`: the two namespaces of a document. */
const nameOf = (definition: DefinitionNode): string | undefined =>
  'name' in definition && definition.name ? `${definition.kind === Kind.DIRECTIVE_DEFINITION ? '@' : ''}${definition.name.value}` : undefined;

/**
 * A subgraph's SDL with the shared definitions it uses appended (and those they use in turn), each as
 * written in the shared file, descriptions included; a shared directive the subgraph applies (`@classification`)
 * is appended with the types its arguments use. A name the subgraph defines itself is not appended.
 * SDL that does not parse is returned as is, so the composer or parser reports its error at the right line.
 */
export function withSharedTypeDefs(subgraphSdl: string, sharedSdl: string): string {
  let own;
  try {
    own = parse(subgraphSdl);
  } catch {
    return subgraphSdl;
  }
  const shared = parse(sharedSdl);
  const byName = new Map(shared.definitions.flatMap((d) => (nameOf(d) ? [[nameOf(d)!, d] as const] : [])));
  const defined = new Set(own.definitions.map(nameOf).filter((name): name is string => !!name));
  const included = new Set<string>();
  const add = (name: string) => {
    if (defined.has(name) || included.has(name) || !byName.has(name)) return;
    included.add(name);
    include(byName.get(name)!);
  };
  const include = (node: Parameters<typeof visit>[0]) =>
    visit(node, {
      [Kind.NAMED_TYPE]: (named) => add(named.name.value),
      [Kind.DIRECTIVE]: (directive) => add(`@${directive.name.value}`),
    });
  include(own);
  const appended = shared.definitions.filter((d) => included.has(nameOf(d) ?? '')).map((d) => sharedSdl.slice(d.loc!.start, d.loc!.end));
  return appended.length === 0 ? subgraphSdl : `${subgraphSdl.replace(/\n*$/, '')}\n\n${appended.join('\n\n')}\n`;
}
