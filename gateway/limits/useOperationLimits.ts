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
 * Apollo Server plugin: resolves trusted documents when the request starts (before Apollo's own
 * persisted queries read it) and checks the static limits once the source is known (APQ hits
 * included), before parsing, validation and planning. A refusal is thrown: Apollo Server answers it
 * with the error's status (400) and no subgraph is called.
 */
export function useOperationLimits(options: OperationLimitsPluginOptions): ApolloServerPlugin {
  const { trustedDocuments, check } = options;
  return {
    async requestDidStart(requestContext) {
      if ((requestContext.contextValue as Record<symbol, unknown>)[ADMITTED]) return;
      const { request } = requestContext;
      const http = request.http;
      const documentId =
        http?.method === 'GET' ? (new URLSearchParams(http.search).get('documentId') ?? undefined) : (http?.body as { documentId?: unknown } | undefined)?.documentId;
      const resolved = trustedDocuments.resolve({ query: request.query, extensions: request.extensions, documentId });
      if (resolved instanceof Error) throw resolved;
      request.query = resolved.query;
      request.extensions = resolved.extensions;
      return {
        async didResolveSource(context) {
          const refusal = check(context.source, context.request.variables, context.schema);
          if (refusal) throw refusal;
        },
      };
    },
  };
}
