import type { Server } from 'node:http';
import { ErrorCode } from '../errors/ErrorCode.js';
import { MeshError } from '../errors/MeshError.js';

/** Options of {@link listenOn}. */
export interface ListenOnOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to bind, e.g. `127.0.0.1`. */
  host: string;
  /** Who is listening, for the message: `gateway`, `orders subgraph`. */
  service: string;
  /** The setting that chooses the port, for the message: `GATEWAY_PORT`, `ORDERS_PORT`. */
  setting: string;
}

/**
 * Starts `server` listening. A port in use (or not allowed) rejects with one line that names the
 * service, the address and the setting to change (`SERVICE_UNAVAILABLE`, the system error as `cause`).
 *
 * While it binds, the server's other `error` listeners are set aside: a `ws` WebSocketServer attached to
 * the server re-emits a failed bind on itself, where graphql-ws prints it with a stack trace that hides
 * the cause (issue #12). They are put back once the bind settles, so later errors still reach them.
 */
export async function listenOn(server: Server, options: ListenOnOptions): Promise<void> {
  const { port, host } = options;
  const others = server.listeners('error') as Array<(error: Error) => void>;
  server.removeAllListeners('error');
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw new MeshError(ErrorCode.SERVICE_UNAVAILABLE, explain(error as NodeJS.ErrnoException, options), { cause: error });
  } finally {
    for (const listener of others) server.on('error', listener);
  }
}

function explain(error: NodeJS.ErrnoException, { port, host, service, setting }: ListenOnOptions): string {
  const address = `${host}:${port}`;
  if (error.code === 'EADDRINUSE') return `${service} cannot listen on ${address}: the port is in use by another process; set ${setting} to a free port`;
  if (error.code === 'EACCES') return `${service} cannot listen on ${address}: not allowed to bind that port; set ${setting} to a port above 1023`;
  if (error.code === 'EADDRNOTAVAIL') return `${service} cannot listen on ${address}: no such local address; check the host setting`;
  return `${service} cannot listen on ${address}: ${error.code ?? error.message}; check ${setting}`;
}
