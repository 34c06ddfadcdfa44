import type { Server } from 'node:http';
import { print, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { SubscriptionExecutor } from '../subscriptions/index.js';

/** What the websocket adapter needs from the gateway. */
export interface GraphqlWsOptions {
  server: Server;
  path: string;
  /** The API schema clients validate against (null until the supergraph is loaded). */
  schema: () => GraphQLSchema | null;
  /** Federated subscriptions. */
  subscriptions: () => SubscriptionExecutor | null;
  /** Queries and mutations sent over the socket run through the HTTP pipeline's executor. */
  executeOperation: (request: { query: string; variables?: Record<string, unknown>; operationName?: string }) => Promise<ExecutionResult>;
}

/**
 * graphql-ws on the gateway's HTTP server and path: subscriptions go to the federated subscription
 * executor, queries and mutations to the same pipeline as HTTP. Returns a disposer for draining.
 */
export function useGraphqlWs(options: GraphqlWsOptions): { dispose: () => Promise<void>; clients: () => number } {
  const wsServer = new WebSocketServer({ server: options.server, path: options.path });
  const cleanup = useServer(
    {
      schema: () => {
        const schema = options.schema();
        if (!schema) throw new Error('the supergraph is not loaded yet');
        return schema;
      },
      execute: (args) =>
        options.executeOperation({
          query: print(args.document),
          variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined,
          operationName: args.operationName ?? undefined,
        }),
      subscribe: async (args) => {
        const executor = options.subscriptions();
        if (!executor) return { errors: [{ message: 'the supergraph is not loaded yet' }] } as unknown as ExecutionResult;
        return executor.subscribe({
          document: args.document,
          variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined,
          operationName: args.operationName ?? undefined,
          context: args.contextValue,
        });
      },
    },
    wsServer,
  );
  return { dispose: async () => cleanup.dispose(), clients: () => wsServer.clients.size };
}
