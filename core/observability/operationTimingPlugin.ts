import type { ApolloServerPlugin } from '@apollo/server';

/** One answered GraphQL operation, as {@link operationTimingPlugin} reports it. */
export interface AnsweredOperation {
  /** The operation's name, null when anonymous (or not resolved: the document did not parse). */
  name: string | null;
  /** `query`, `mutation`, `subscription`; null when the document did not resolve to an operation. */
  type: string | null;
  seconds: number;
  /** Public codes of the errors the client received (`INTERNAL_SERVER_ERROR` for an uncoded one). */
  errorCodes: string[];
}

/**
 * Apollo Server plugin that reports every answered GraphQL operation with its duration and the codes of
 * the errors the client receives (after `formatError`: a masked failure counts as the client saw it).
 * A throwing `onAnswered` is ignored (metrics never fail a request).
 */
export function operationTimingPlugin(onAnswered: (operation: AnsweredOperation) => void): ApolloServerPlugin {
  return {
    async requestDidStart(request) {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, operation, operationName }) {
          const body = response.body;
          const errors = body.kind === 'single' ? (body.singleResult.errors ?? []) : (body.initialResult.errors ?? []);
          try {
            onAnswered({
              name: operationName ?? request.request.operationName ?? null,
              type: operation?.operation ?? null,
              seconds: Number(process.hrtime.bigint() - started) / 1e9,
              errorCodes: errors.map((error) => (typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR')),
            });
          } catch {
            // metrics must not fail a request
          }
        },
      };
    },
  };
}
