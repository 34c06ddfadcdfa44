/**
 * The gateway's public surface: start a gateway from a validated configuration, read that configuration
 * from the environment, compose a schema folder. Everything else under gateway/ is internal; scripts/ and
 * tests import from here where they can.
 */
export { startGateway, type GatewayLog, type RunningGateway, type StartGatewayOptions } from './startGateway.js';
export { gatewayConfigFromEnv, type GatewayConfig } from './config/gatewayConfig.js';
export type { GatewayAuthConfig } from './auth/GatewayAuthConfig.js';
export type { GatewayLimitsConfig } from './limits/GatewayLimitsConfig.js';
export type { SupergraphSource } from './supergraph/createSupergraphManager.js';
export type { SubgraphEndpoint } from './supergraph/fetchSubgraphSdl.js';
export { buildSupergraphSnapshot, type SupergraphSnapshot, type SupergraphSnapshotOptions } from './supergraph/buildSupergraphSnapshot.js';
export type { SubgraphAddress, SubgraphAddressOverrides } from './supergraph/subgraphAddresses.js';
export { composeSchemaDir, type ComposeSchemaDirOptions, type ComposeSchemaDirResult } from './supergraph/composeSchemaDir.js';
export { createSubscriptionExecutor, type SubscriptionExecutor, type SubscriptionExecutorOptions, type SubscriptionRequest } from './subscriptions/index.js';
/** Every public error code of the mesh (one vocabulary for the gateway and the subgraphs). */
export { ErrorCode } from '../core/errors/ErrorCode.js';
