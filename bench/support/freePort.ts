/**
 * A loopback port nothing listens on right now, for a process the caller starts next. Benches and tests
 * both start whole meshes on free ports; it lives under bench/ because benches may not import test/.
 */
import net from 'node:net';

/** A port nothing listens on right now (another process may still take it before the caller does). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
