import type { ChangeCloudEvent } from './changeCloudEvent.js';

/** One change event on its way to a broker. */
export interface OutboundEvent {
  event: ChangeCloudEvent;
  /** For a state change: its key, for the retained latest-value message. */
  stateKey?: string;
}

/** A broker connection that publishes change events and dead letters. */
export interface EventSink {
  /** `mqtt` or `amqp`. */
  readonly kind: 'mqtt' | 'amqp';
  /** Resolves once the broker confirmed the message (MQTT PUBACK / AMQP publisher confirm); rejects when it cannot. */
  publish(outbound: OutboundEvent): Promise<void>;
  close(): Promise<void>;
}
