/**
 * Normalises whatever the graphql-ws client reports when an upstream subscription fails into GraphQL
 * errors a client can read: the subgraph's own errors (an `error` message), a close event after
 * reconnects were exhausted or refused, or a connection error. Each carries `serviceName` and a code.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { SubscriptionErrorCode } from './SubscriptionErrorCode.js';

function isCloseEvent(reason: unknown): reason is { code: number; reason: string } {
  return typeof reason === 'object' && reason !== null && 'code' in reason && 'reason' in reason;
}

export function toUpstreamErrors(serviceName: string, reason: unknown): GraphQLError[] {
  const extensions = { code: SubscriptionErrorCode.DOWNSTREAM_SERVICE_ERROR, serviceName };
  if (Array.isArray(reason)) {
    if (reason.length === 0) {
      return [new GraphQLError(`Subgraph "${serviceName}" answered the subscription without data.`, { extensions })];
    }
    return (reason as GraphQLFormattedError[]).map(
      (error) =>
        new GraphQLError(error.message, {
          extensions: {
            ...error.extensions,
            code: error.extensions?.code ?? SubscriptionErrorCode.DOWNSTREAM_SERVICE_ERROR,
            serviceName,
          },
        }),
    );
  }
  if (isCloseEvent(reason)) {
    const detail = reason.reason ? `${reason.code}: ${reason.reason}` : String(reason.code);
    return [new GraphQLError(`Subscription to subgraph "${serviceName}" ended: connection closed (${detail}).`, { extensions })];
  }
  const message = reason instanceof Error || (typeof reason === 'object' && reason !== null && 'message' in reason)
    ? String((reason as { message: unknown }).message)
    : String(reason);
  return [new GraphQLError(`Subgraph "${serviceName}" is unreachable: ${message || 'connection failed'}.`, { extensions })];
}
