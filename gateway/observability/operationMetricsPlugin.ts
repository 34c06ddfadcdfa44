import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayMetrics } from './createGatewayMetrics.js';

/**
 * Apollo Server plugin that times every GraphQL operation (HTTP and websocket queries/mutations) by
 * operation name and type, and counts the public codes of the errors the client receives (after
 * `formatError`, so a masked failure counts as INTERNAL_SERVER_ERROR, as the client saw it).
 */
export function operationMetricsPlugin(metrics: GatewayMetrics): ApolloServerPlugin {
  return {
    async requestDidStart(request) {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ response, operation, operationName }) {
          const body = response.body;
          const errors = body.kind === 'single' ? (body.singleResult.errors ?? []) : (body.initialResult.errors ?? []);
          const codes = errors.map((error) => (typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR'));
          const name = operationName ?? request.request.operationName ?? null;
          metrics.operationAnswered({ name, type: operation?.operation ?? null }, Number(process.hrtime.bigint() - started) / 1e9, codes);
        },
      };
    },
  };
}
