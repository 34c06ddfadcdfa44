/**
 * Serves one federation subgraph schema the way our subgraphs run: Apollo Server 5 on Express 5 for HTTP
 * and a graphql-ws server on the same port and path. Listens on loopback, port 0 unless a port is given
 * (a restart test reuses the port of the server it replaces).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import type { GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';

export interface SubgraphServer {
  url: string;
  wsUrl: string;
  port: number;
  /** How many websocket connections the subgraph currently has open. */
  readonly openSockets: number;
  /** The `connection_init` payload of every websocket connection accepted, in order. */
  readonly connectionParams: unknown[];
  /** Drops every open websocket without a close frame, as a crashing process would. */
  terminateSockets(): void;
  /** Stops HTTP and websockets; open websockets are closed with 1001 (Going away). Idempotent. */
  close(): Promise<void>;
}

export interface StartSubgraphServerOptions {
  port?: number;
  /** Builds the per-request context for HTTP requests (each request gets a fresh one). */
  context?: () => Record<string, unknown>;
}

export async function startSubgraphServer(schema: GraphQLSchema, { port = 0, context = () => ({}) }: StartSubgraphServerOptions = {}): Promise<SubgraphServer> {
  const app = express();
  const httpServer = http.createServer(app);
  // Longer than any idle gap of a test: gateways whose clients keep sockets alive (bare @apollo/gateway's
  // default fetcher) otherwise race the server's 5 s idle close on a loaded machine and see ECONNRESET.
  httpServer.keepAliveTimeout = 60_000;
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const connectionParams: unknown[] = [];
  const wsHandle = useServer({ schema, onConnect: (ctx) => void connectionParams.push(ctx.connectionParams) }, wsServer);
  const apollo = new ApolloServer({
    schema,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginInlineTraceDisabled(),
      { serverWillStart: async () => ({ drainServer: async () => wsHandle.dispose() }) },
    ],
  });
  await apollo.start();
  app.use('/graphql', express.json(), expressMiddleware(apollo, { context: async () => context() }));
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, '127.0.0.1', () => resolve());
  });
  let stopped: Promise<void> | undefined;
  const actualPort = (httpServer.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actualPort}/graphql`,
    wsUrl: `ws://127.0.0.1:${actualPort}/graphql`,
    port: actualPort,
    get openSockets() {
      return wsServer.clients.size;
    },
    connectionParams,
    terminateSockets() {
      for (const socket of wsServer.clients) socket.terminate();
    },
    close: () => (stopped ??= apollo.stop()),
  };
}
