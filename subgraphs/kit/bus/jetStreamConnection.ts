import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Follows a connection's disconnects and reconnects. The NATS client (v3) DISCARDS what it buffered while
 * disconnected when it dials again (`resetOutbound` in nats-core's protocol), so a request sent during an
 * outage is silently lost and would only time out: callers use {@link onNextReconnect} to retry at once.
 */
export class ConnectionWatch {
  private connected = true;
  private readonly listeners = new Set<() => void>();
  private readonly everyReconnect = new Set<() => void>();

  /** @param onReconnect runs after each successful reconnect (e.g. to reset a reconnect backoff). */
  constructor(connection: NatsConnection, onReconnect: () => void = () => {}) {
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === 'disconnect') this.connected = false;
        if (status.type === 'reconnect') {
          this.connected = true;
          onReconnect();
          for (const listener of this.everyReconnect) listener();
          this.notify();
        }
      }
      // Closed for good: nobody should wait for a reconnect any more.
      this.notify();
    })().catch(() => {});
  }

  /** False between a disconnect and the following reconnect. */
  get isConnected(): boolean {
    return this.connected;
  }

  /** Calls `listener` once at the next successful reconnect (or close); the returned function cancels it. */
  onNextReconnect(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` after every reconnect until the returned function is called. */
  onEveryReconnect(listener: () => void): () => void {
    this.everyReconnect.add(listener);
    return () => this.everyReconnect.delete(listener);
  }

  /** Resolves at the next reconnect (or close), or after `timeoutMs`, whichever comes first. */
  waitForReconnect(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          cancel();
          resolve();
        },
        Math.max(0, timeoutMs),
      );
      const cancel = this.onNextReconnect(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private notify(): void {
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  }
}
