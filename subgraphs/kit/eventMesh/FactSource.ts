/** A running fact consumer of the event mesh bridge (MQTT or AMQP). */
export interface FactSource {
  /** Stops taking facts; a batch being applied finishes, unacknowledged facts stay with the broker. */
  stop(): Promise<void>;
}
