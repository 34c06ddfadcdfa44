import { Kind, parse, print, separateOperations, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/** Gives the document a client's named subscription runs as (see {@link shareNamedSubscriptions}). */
export type ShareNamedSubscription = (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode) => DocumentNode;

/**
 * Clients whose subscriptions differ only in the operation's name (every real app names its operations,
 * and each app its own way) or in what else their documents hold (other operations, whitespace,
 * comments) run one shared document: the operation without its name and the fragments it spreads,
 * printed and parsed once per schema. Each client kept its own parsed document, authorization and plan
 * entry otherwise: at 10,000 clients with one name each, 45 KB of gateway memory per idle client against
 * 15 KB when they shared a text (issue #9).
 *
 * The shared document is parsed without locations: its positions would not be any client's, so errors
 * raised against it (a denied field's, say) carry a path and no `locations` (which GraphQL makes
 * optional) rather than positions in another text. The client's operation name is kept for logs and
 * audit by the caller. An unnamed operation is already the only one of its document, and clients sending
 * the same text share that document: it is returned as it is.
 */
export function shareNamedSubscriptions(maxDocuments: number): ShareNamedSubscription {
  const bySchema = new WeakMap<GraphQLSchema, LRUCache<string, DocumentNode>>();
  return (schema, document, operation) => {
    if (!operation.name) return document;
    const own = separateOperations(document)[operation.name.value];
    const unnamed: DocumentNode = {
      ...own,
      definitions: own.definitions.map((definition) => (definition.kind === Kind.OPERATION_DEFINITION ? { ...definition, name: undefined } : definition)),
    };
    const text = print(unnamed);
    let shared = bySchema.get(schema);
    if (!shared) bySchema.set(schema, (shared = new LRUCache<string, DocumentNode>({ max: maxDocuments })));
    let copy = shared.get(text);
    if (!copy) shared.set(text, (copy = parse(text, { noLocation: true })));
    return copy;
  };
}
