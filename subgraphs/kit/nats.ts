/**
 * The kit's NATS JetStream transport: the bus, and the consumer of facts published to the domain's
 * stream. Loads the `@nats-io/*` clients, so it is imported only where NATS is configured (see ./essentials.ts).
 *
 * @packageDocumentation
 */
export { JetStreamBus } from './bus/JetStreamBus.js';
export { consumeFacts } from './ingest/consumeFacts.js';
