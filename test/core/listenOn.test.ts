import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { MeshError } from '../../core/errors/MeshError.js';
import { listenOn } from '../../core/net/listenOn.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => (s.listening ? s.close(resolve) : resolve(undefined)))));
});

async function held(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await listenOn(server, { port: 0, host: '127.0.0.1', service: 'holder', setting: 'HOLDER_PORT' });
  return (server.address() as AddressInfo).port;
}

describe('listenOn', () => {
  it('should listen and keep the error listeners others attached', async () => {
    const server = createServer();
    servers.push(server);
    const other = () => {};
    server.on('error', other);
    await listenOn(server, { port: 0, host: '127.0.0.1', service: 'test', setting: 'TEST_PORT' });
    expect(server.listening).toBe(true);
    expect(server.listeners('error')).toEqual([other]);
  });

  it('should refuse a port in use with one line naming the service, the address and the setting, and no ws noise', async () => {
    const port = await held();
    const server = createServer();
    servers.push(server);
    const wss = new WebSocketServer({ server, path: '/graphql' });
    const wsErrors: Error[] = [];
    wss.on('error', (error) => wsErrors.push(error));
    const failure = await listenOn(server, { port, host: '127.0.0.1', service: 'orders subgraph', setting: 'ORDERS_PORT' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MeshError);
    expect((failure as MeshError).code).toBe('SERVICE_UNAVAILABLE');
    expect((failure as MeshError).message).toBe(
      `orders subgraph cannot listen on 127.0.0.1:${port}: the port is in use by another process; set ORDERS_PORT to a free port`,
    );
    expect(((failure as MeshError).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect(wsErrors).toEqual([]);
    expect(server.listenerCount('error')).toBeGreaterThan(0); // the websocket server's listener is back
  });

  it('should name the address when the host is not a local one', async () => {
    const server = createServer();
    servers.push(server);
    // 192.0.2.0/24 is TEST-NET-1: never a local address.
    const failure = await listenOn(server, { port: 0, host: '192.0.2.1', service: 'gateway', setting: 'GATEWAY_PORT' }).catch((e: unknown) => e);
    expect((failure as MeshError).message).toBe('gateway cannot listen on 192.0.2.1:0: no such local address; check the host setting');
  });
});
