import { Kind, parse, print, separateOperations, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/** The form a named subscription runs as when it shares (see {@link shareNamedSubscriptions}). */
export interface UnnamedForm {
  /** The operation without its name and the fragments it spreads, printed: the key clients share on. */
  text: string;
  /**
   * The client's document holds nothing else (no other operation, no unused fragment, no other
   * definition): validating the shared document then validates the client's, since no validation rule
   * reads an operation's name when it is the document's only operation.
   */
  whole: boolean;
}

/** Named subscriptions' shared documents, per schema (see {@link shareNamedSubscriptions}). */
export interface NamedSubscriptionSharing {
  /** The unnamed form of a named operation; `undefined` for an unnamed one (already its document's only operation). */
  unnamedForm(document: DocumentNode, operation: OperationDefinitionNode): UnnamedForm | undefined;
  /** The shared document of a form already validated against this schema, if it is remembered. */
  known(schema: GraphQLSchema, text: string): DocumentNode | undefined;
  /** The shared document of a form the caller has validated against this schema (parsed once, then remembered). */
  share(schema: GraphQLSchema, text: string): DocumentNode;
}

/**
 * Clients whose subscriptions differ only in the operation's name (every real app names its operations,
 * and each app its own way) or in what else their documents hold (other operations, whitespace,
 * comments) run one shared document: the operation without its name and the fragments it spreads,
 * printed and parsed once per schema. Each client kept its own parsed document, authorization and plan
 * entry otherwise: at 10,000 clients with one name each, 45 KB of gateway memory per idle client against
 * 15 KB when they shared a text (issue #9).
 *
 * A client whose document is {@link UnnamedForm.whole} and whose form is already known is not validated
 * again: that validation would only repeat the shared document's, and with a text of its own per
 * client it was most of the garbage a named client's subscribe left behind (its heap then grew to twice
 * its live size before a collection).
 *
 * The shared document is parsed without locations: its positions would not be any client's, so errors
 * raised against it (a denied field's, say) carry a path and no `locations` (which GraphQL makes
 * optional) rather than positions in another text. The client's operation name is kept for logs and
 * audit by the caller.
 *
 * @param maxDocuments shared documents remembered per schema.
 */
export function shareNamedSubscriptions(maxDocuments: number): NamedSubscriptionSharing {
  const bySchema = new WeakMap<GraphQLSchema, LRUCache<string, DocumentNode>>();
  const documentsOf = (schema: GraphQLSchema) => {
    let shared = bySchema.get(schema);
    if (!shared) bySchema.set(schema, (shared = new LRUCache<string, DocumentNode>({ max: maxDocuments })));
    return shared;
  };
  return {
    unnamedForm(document, operation) {
      if (!operation.name) return undefined;
      const own = separateOperations(document)[operation.name.value];
      const unnamed: DocumentNode = {
        ...own,
        definitions: own.definitions.map((definition) => (definition.kind === Kind.OPERATION_DEFINITION ? { ...definition, name: undefined } : definition)),
      };
      return { text: print(unnamed), whole: own.definitions.length === document.definitions.length };
    },
    known: (schema, text) => bySchema.get(schema)?.get(text),
    share(schema, text) {
      const shared = documentsOf(schema);
      let copy = shared.get(text);
      if (!copy) shared.set(text, (copy = parse(text, { noLocation: true })));
      return copy;
    },
  };
}
