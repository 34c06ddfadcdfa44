/**
 * The contract Apollo Server has with a gateway (`GatewayInterface`): `load` hands back an executor that
 * Apollo Server calls with its request context for every operation. Wrapping that executor is how the
 * gateway authorizes an operation between Apollo Server's parsing and @apollo/gateway's planning; the
 * request context fields read and rewritten (`operation`, `document`, `source`, `queryHash`,
 * `request.operationName`) are Apollo Server's, pinned by test/apollo/.
 */
import type { ApolloGateway } from '@apollo/gateway';

/** The part of `ApolloGateway` Apollo Server uses. */
export type GatewayLike = Pick<ApolloGateway, 'load' | 'onSchemaLoadOrUpdate' | 'stop'>;
type LoadResult = Awaited<ReturnType<ApolloGateway['load']>>;
/** The executor `load` resolves with. */
export type GatewayExecutor = NonNullable<LoadResult['executor']>;
/** What Apollo Server hands the executor for one operation. */
export type GatewayRequestContext = Parameters<GatewayExecutor>[0];

/** A gateway whose executor is `wrap(inner)`; schema listeners and `stop` pass through. */
export function wrapGatewayExecutor(gateway: GatewayLike, wrap: (inner: GatewayExecutor) => GatewayExecutor): GatewayLike {
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    async load(options) {
      const loaded = await gateway.load(options);
      return loaded.executor ? { ...loaded, executor: wrap(loaded.executor) } : loaded;
    },
  };
}

/** Calls `listener` with the supergraph SDL the gateway has taken into service (as it was handed over). */
export function onGatewaySupergraph(gateway: GatewayLike, listener: (coreSupergraphSdl: string) => void): void {
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => listener(coreSupergraphSdl));
}
