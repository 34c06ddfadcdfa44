import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ErrorCode } from '../../../core/errors/ErrorCode.js';
import { MeshError } from '../../../core/errors/MeshError.js';

/** Options of {@link connectNats}. */
export interface ConnectNatsOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** Connection name in the server's monitoring. */
  name: string;
  /** Keep retrying the FIRST connection instead of failing at once. @default false */
  waitOnFirstConnect?: boolean;
  /**
   * Consecutive failed reconnect attempts after which the connection gives up and closes: `lost` then
   * resolves with an error naming `reconnectSetting`, and a supervised subgraph exits to be restarted.
   * -1 retries forever. @default 300 (about 5 minutes at the 1 s delay cap)
   */
  maxReconnectAttempts?: number;
  /** Reconnect delays grow from 50 ms to this cap, and start over after each successful reconnect. @default 1000 */
  maxReconnectDelayMs?: number;
  /** The setting that names the server, for error messages. @default 'MESH_BUS' */
  serverSetting?: string;
  /** The setting that bounds reconnect attempts, for error messages. @default 'MESH_NATS_RECONNECT_ATTEMPTS' */
  reconnectSetting?: string;
}

/** A NATS connection with its watch, and a promise of its loss. */
export interface NatsLink {
  connection: NatsConnection;
  watch: ConnectionWatch;
  /**
   * Resolves when the connection closed without being asked to: the reconnect attempts ran out. The error
   * names the server and the setting that bounds the attempts. Never settles after a requested close.
   */
  lost: Promise<MeshError>;
}

/**
 * Connects to NATS with bounded, capped exponential reconnects. An unreachable server fails at once with
 * one line naming it and the setting to change (`STORE_UNAVAILABLE`), not the client's bare `CONNECTION_REFUSED`.
 */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsLink> {
  const {
    servers,
    name,
    waitOnFirstConnect = false,
    maxReconnectAttempts = 300,
    maxReconnectDelayMs = 1_000,
    serverSetting = 'MESH_BUS',
    reconnectSetting = 'MESH_NATS_RECONNECT_ATTEMPTS',
  } = options;
  const where = [servers].flat().join(', ');
  let failedAttempts = 0;
  let connection: NatsConnection;
  try {
    connection = await connect({
      servers,
      name,
      waitOnFirstConnect,
      maxReconnectAttempts,
      // A broker that vanished without closing the socket (host down, partition) is noticed within ~30 s.
      pingInterval: 10_000,
      maxPingOut: 3,
      // Exponential backoff from 50 ms, capped: a restarted broker is found within about a second.
      reconnectDelayHandler: () => Math.min(50 * 2 ** failedAttempts++, maxReconnectDelayMs) + Math.random() * 50,
    });
  } catch (error) {
    const reason = (error as { code?: string }).code ?? (error as Error).message;
    throw new MeshError(ErrorCode.STORE_UNAVAILABLE, `NATS at ${where} is not reachable (${reason}); start it, or point ${serverSetting} at a running server`, {
      cause: error,
    });
  }
  const watch = new ConnectionWatch(connection, () => (failedAttempts = 0));
  // A requested close (or drain) settles `closed()` with nothing; running out of reconnect attempts, with the error.
  const lost = new Promise<MeshError>((resolve) => {
    void connection.closed().then((error) => {
      if (!error) return;
      resolve(
        new MeshError(
          ErrorCode.STORE_UNAVAILABLE,
          `NATS at ${where} stayed unreachable for ${maxReconnectAttempts} reconnect attempts (${error.message}); raise ${reconnectSetting} (-1: forever) or check ${serverSetting}`,
          { cause: error },
        ),
      );
    });
  });
  return { connection, watch, lost };
}

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
