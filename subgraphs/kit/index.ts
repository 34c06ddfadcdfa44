/**
 * The data-product kit's public API: everything a domain team (and a subgraph entry point) uses to
 * declare, run and serve a data product. Code outside the kit imports it only from here or from the entry
 * points named below; the files behind them are free to move (dependency-cruiser's
 * `domains-use-the-kit-index` rule, see docs/architecture.md).
 *
 * - Declare: {@link defineDataProduct} (facts, rollups, states, descriptor, resolvers).
 * - Run: {@link DataProductRuntime} (ingestion, history, states, change events, loaders; no transport).
 * - Serve: {@link serveDataProduct} (HTTP + graphql-ws on one port, `POST /events`, `GET /descriptor`, admin routes).
 * - Store and bus: {@link DuckDbStore} / {@link PostgresStore}, {@link InProcessBus} / {@link JetStreamBus}.
 * - Event mesh bridge: {@link startEventMesh} (MQTT / AMQP).
 * - Resolver helpers: history arguments, change-event types, the `DateTime` scalar, async-iterator helpers, coded errors.
 *
 * The exports come from four entry points: ./essentials.ts (no optional transport client), ./postgres.ts,
 * ./nats.ts and ./eventMeshBridge.ts. Code that must start fast without PostgreSQL, NATS or an event mesh
 * (a subgraph on DuckDB and the in-process bus, the domains' own code) imports ./essentials.ts and loads
 * the others only when configured (subgraphs/startSubgraph.ts).
 *
 * @packageDocumentation
 */

export * from './essentials.js';
export * from './postgres.js';
export * from './nats.js';
export * from './eventMeshBridge.js';
