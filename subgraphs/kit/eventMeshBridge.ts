/**
 * The kit's bridge to an enterprise event mesh (MQTT / AMQP): loads the `mqtt` and `amqplib` clients
 * (and NATS, for the bridge's shared state), so it is imported only where an event mesh is configured
 * (see ./essentials.ts). Its configuration (`eventMeshConfigFromEnv`, `EventMeshConfig`) is in ./essentials.ts.
 *
 * @packageDocumentation
 */
export { startEventMesh } from './eventMesh/startEventMesh.js';
export { eventMeshMetrics, type EventMeshMetrics } from './eventMesh/eventMeshMetrics.js';
