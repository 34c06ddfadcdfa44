/**
 * A loopback TCP proxy to put between the gateway and a subgraph, for half-open socket tests. `freeze()`
 * turns every open connection into a black hole both ways: bytes are read and dropped, nothing is
 * closed, so neither end gets a FIN, an RST or a close frame — what a vanished host or a NAT that forgot
 * the flow looks like. Connections opened after a freeze are forwarded normally unless it froze them
 * too (`newConnections: 'freeze'`), as an unreachable host would.
 */
import net, { type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** `http://127.0.0.1:<port>/graphql`: the proxied subgraph's GraphQL URL. */
  url: string;
  /** `ws://127.0.0.1:<port>/graphql`. */
  wsUrl: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Frozen connections whose client side (the gateway) has since closed its socket. */
  readonly frozenClosedByClient: number;
  /** Stops forwarding on every open connection; see the module comment. */
  freeze(options?: { newConnections?: 'forward' | 'freeze' }): void;
  /** Forwards new connections again (frozen ones stay frozen). */
  thaw(): void;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
}

/** Proxies to loopback `target`: a port, or a function giving it per connection (for a server started later). */
export async function startTcpProxy(target: number | (() => number)): Promise<TcpProxy> {
  const targetPort = typeof target === 'function' ? target : () => target;
  const pairs = new Set<Pair>();
  let accepted = 0;
  let frozenClosedByClient = 0;
  let freezeNew = false;
  const server = net.createServer((client) => {
    accepted += 1;
    const pair: Pair = { client, upstream: net.connect(targetPort(), '127.0.0.1'), frozen: freezeNew };
    const { upstream } = pair;
    pairs.add(pair);
    client.on('data', (chunk) => void (pair.frozen || upstream.write(chunk)));
    upstream.on('data', (chunk) => void (pair.frozen || client.write(chunk)));
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('close', () => {
      if (pair.frozen) frozenClosedByClient += 1;
      else upstream.destroy();
      if (upstream.destroyed) pairs.delete(pair);
    });
    upstream.on('close', () => {
      if (!pair.frozen) client.destroy();
      if (client.destroyed) pairs.delete(pair);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    get connections() {
      return accepted;
    },
    get frozenClosedByClient() {
      return frozenClosedByClient;
    },
    freeze({ newConnections = 'forward' } = {}) {
      for (const pair of pairs) pair.frozen = true;
      freezeNew = newConnections === 'freeze';
    },
    thaw() {
      freezeNew = false;
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
