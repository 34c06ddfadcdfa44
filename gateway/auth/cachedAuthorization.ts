import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import type { AuthSchema } from './AuthSchema.js';
import { authorizeOperation, type AuthorizeOperationInput, type OperationAuthorization } from './authorizeOperation.js';
import type { Principal } from './Principal.js';

/** Options of `cachedAuthorization`. */
export interface CachedAuthorizationOptions {
  /**
   * How many outcomes one document keeps (one per operation and scope set); past it the document's
   * outcomes are dropped and collected again. @default 64
   */
  maxPerDocument?: number;
}

/** `authorizeOperation` for a resolved operation, remembered where that is safe. */
export type AuthorizeResolved = (input: AuthorizeOperationInput & { operation: OperationDefinitionNode }) => OperationAuthorization | null;

/** The part of a principal that `@authenticated` and `@requiresScopes` decisions read. */
const scopeSetOf = (principal: Principal) => `${principal.authenticated ? 'a' : 'n'}\u0000${[...principal.scopes].sort().join('\u0000')}`;

/**
 * Remembers authorizations per document object (Apollo Server reuses one parsed and validated document
 * per query text and schema), per operation and per scope set: the decision is a pure function of the
 * auth view, the operation and what the principal holds. The key is everything a decision reads, so a
 * remembered outcome never serves another scope set: `authenticated` and the sorted scopes. An
 * outcome that asked a `@policy` is never remembered (a policy may read any claim, so it holds for
 * one principal only). A new supergraph brings a new auth view, and with it an empty cache; documents
 * that are no longer used are collected with it (weak keys).
 */
export function cachedAuthorization(options: CachedAuthorizationOptions = {}): AuthorizeResolved {
  const { maxPerDocument = 64 } = options;
  const byView = new WeakMap<AuthSchema, WeakMap<DocumentNode, Map<OperationDefinitionNode, Map<string, OperationAuthorization>>>>();
  return (input) => {
    const { authSchema, document, operation, principal } = input;
    // Not an object (cannot be a weak key): nothing to remember it by.
    if (typeof document !== 'object' || document === null) return authorizeOperation(input);
    let byDocument = byView.get(authSchema);
    if (!byDocument) byView.set(authSchema, (byDocument = new WeakMap()));
    let byOperation = byDocument.get(document);
    if (!byOperation) byDocument.set(document, (byOperation = new Map<OperationDefinitionNode, Map<string, OperationAuthorization>>()));
    let byScopes = byOperation.get(operation);
    if (!byScopes) byOperation.set(operation, (byScopes = new Map<string, OperationAuthorization>()));
    const key = scopeSetOf(principal);
    const known = byScopes.get(key);
    if (known) return known;
    const authorization = authorizeOperation(input);
    if (!authorization || authorization.askedPolicies) return authorization;
    if (byScopes.size >= maxPerDocument) byScopes.clear();
    byScopes.set(key, authorization);
    return authorization;
  };
}
