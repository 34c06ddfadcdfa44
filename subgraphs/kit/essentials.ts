/**
 * The data-product kit without its optional transports: everything a domain's code and a subgraph on the
 * embedded DuckDB store and the in-process bus use. Importing it loads no PostgreSQL, NATS, MQTT or AMQP
 * client; those sit behind their own entry points (./postgres.ts, ./nats.ts, ./eventMeshBridge.ts),
 * which subgraphs/startSubgraph.ts imports only when its configuration names them. ./index.ts is the
 * whole public API (this file and those three).
 *
 * @packageDocumentation
 */

// Declaration
export { defineDataProduct, type DataProductDefinition } from './defineDataProduct.js';
export type {
  CallerIdentity,
  Contribution,
  DataProductDeclaration,
  FactSchemas,
  MeasureKind,
  ProductContext,
  RollupDefinition,
  StateDefinition,
} from './productDeclaration.js';
export type { DataProductDescriptor } from './descriptor.js';

// Runtime and transport
export { DataProductRuntime, type DataProductRuntimeOptions } from './DataProductRuntime.js';
export { serveDataProduct, type ServeDataProductOptions, type ServedDataProduct } from './serveDataProduct.js';
export { scheduleExports } from './exports/exportRollups.js';
export { DEFAULT_SQL_LIMITS, type SqlLimits } from './sql/runSql.js';
export { loadTypeDefs } from './graphql/loadTypeDefs.js';

// Storage and change events
export type { Store, StateRow } from './store/Store.js';
export { DuckDbStore } from './store/DuckDbStore.js';
export { DEFAULT_CHECKPOINT_THRESHOLD, parseSize } from './store/duckDbCheckpoints.js';
export type { Bus, BusMessage } from './bus/Bus.js';
export { InProcessBus } from './bus/InProcessBus.js';
export type { BucketUpdatedEvent, StateChangedEvent } from './ingest/changeSubjects.js';
export type { OutgoingCloudEvent } from '../../core/events/CloudEvent.js';

// Trust
export type { KeySource } from '../../core/tokens/KeySource.js';
export { producerTokenAuthorizer } from './auth/producerTokenAuthorizer.js';
export { gatewayTokenAuthenticator } from './auth/gatewayTokenAuthenticator.js';

// Resolver helpers
export {
  historyRequest,
  measureChange,
  ratio,
  seriesObjects,
  type HistoryArguments,
  type MeasureChange,
  type TopArgument,
} from './graphql/historyArguments.js';
export { selectsField } from './graphql/selectsField.js';
export type { ComparePeriod } from './history/comparisonBoundaries.js';
export type { HistoryBucket } from './history/queryHistory.js';
export { bucketEndOf, bucketStartOf, type Granularity } from './history/timeBuckets.js';
export { DateTime } from '../../core/graphql/DateTime.js';
export { mapAsyncIterator } from '../../core/async/mapAsyncIterator.js';
export { filterAsyncIterator } from '../../core/async/filterAsyncIterator.js';
export { badInput } from './graphql/badInput.js';
export { ErrorCode } from '../../core/errors/ErrorCode.js';
export { MeshError } from '../../core/errors/MeshError.js';

// Observability (logs, metrics, traces)
export { createProductMetrics, type ProductMetrics, type ProductMetricsOptions } from './observability/createProductMetrics.js';
export { observedStore } from './observability/observedStore.js';
export { observedBus } from './observability/observedBus.js';

// Event mesh bridge configuration (the bridge itself: ./eventMeshBridge.ts)
export { eventMeshConfigFromEnv } from './eventMesh/eventMeshConfigFromEnv.js';
export type { EventMeshConfig } from './eventMesh/EventMeshConfig.js';
