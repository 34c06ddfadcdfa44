import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import type { TrustedDocuments } from './createTrustedDocuments.js';

/** Marks a context whose operation was already admitted (websocket operations re-entering the HTTP pipeline). */
export const ADMITTED = Symbol('mesh.limits.admitted');

/** Options of `useOperationLimits`. */
export interface OperationLimitsPluginOptions {
  trustedDocuments: TrustedDocuments;
  /** The static limits check of a document's text; returns the refusal or null. */
  check: (source: string, variables: Record<string, unknown> | undefined, schema: GraphQLSchema) => GraphQLError | null;
}

/**
 * Stands in for a refused document: Apollo Server answers an error thrown by a plugin as a masked 500
 * unless it is thrown from `didResolveOperation`, so the refused text is swapped for this one (parsed
 * and validated in microseconds) and the refusal thrown from there, with its own status.
 */
const PLACEHOLDER = '{ __typename }';

/**
 * Apollo Server plugin: resolves trusted documents and checks the static limits as the request starts,
 * before Apollo parses, validates or plans anything (its own automatic persisted queries included).
 * An APQ hit (a hash only) is checked once its text is known: its shape passed these limits when it
 * was registered (refused documents are never registered), its variables may differ.
 */
export function useOperationLimits(options: OperationLimitsPluginOptions): ApolloServerPlugin {
  const { trustedDocuments, check } = options;
  return {
    async requestDidStart(requestContext) {
      if ((requestContext.contextValue as Record<symbol, unknown>)[ADMITTED]) return;
      const { request } = requestContext;
      const http = request.http;
      const documentId =
        http?.method === 'GET'
          ? (new URLSearchParams(http.search).get('documentId') ?? undefined)
          : (http?.body as { documentId?: unknown } | undefined)?.documentId;
      let refusal: GraphQLError | null = null;
      const resolved = trustedDocuments.resolve({ query: request.query, extensions: request.extensions, documentId });
      if (resolved instanceof Error) refusal = resolved;
      else {
        request.query = resolved.query;
        request.extensions = resolved.extensions;
        if (resolved.query !== undefined) refusal = check(resolved.query, request.variables, requestContext.schema);
      }
      const checked = request.query !== undefined;
      if (refusal) {
        const { persistedQuery: _apq, ...extensions } = request.extensions ?? {};
        request.query = PLACEHOLDER;
        request.extensions = extensions;
        request.operationName = undefined;
      }
      return {
        async didResolveOperation(context) {
          if (refusal) throw refusal;
          if (checked) return;
          const late = check(context.source, context.request.variables, context.schema);
          if (late) throw late;
        },
      };
    },
  };
}
