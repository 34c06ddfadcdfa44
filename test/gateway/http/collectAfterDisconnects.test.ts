/**
 * One full garbage collection after a mass disconnect: the trigger against fake timers, and through the
 * websocket adapter with real connections on loopback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema } from 'graphql';
import WebSocket from 'ws';
import { collectAfterDisconnects } from '../../../gateway/http/collectAfterDisconnects.js';
import { useGraphqlWs } from '../../../gateway/http/useGraphqlWs.js';
import { waitFor } from '../../support/asyncWait.js';

describe('collectAfterDisconnects', () => {
  afterEach(() => jest.useRealTimers());

  it('should collect once, after the threshold of closes and a quiet time, and survive a throwing collector', () => {
    jest.useFakeTimers();
    let collections = 0;
    const collector = collectAfterDisconnects({
      collect: () => {
        collections += 1;
        throw new Error('no gc here');
      },
      threshold: 3,
      quietMs: 100,
    });
    collector.closed();
    collector.closed();
    jest.advanceTimersByTime(1000);
    expect(collections).toBe(0);
    collector.closed();
    jest.advanceTimersByTime(60);
    // Still closing: the collection waits for the disconnect to be over.
    collector.closed();
    jest.advanceTimersByTime(60);
    expect(collections).toBe(0);
    jest.advanceTimersByTime(40);
    expect(collections).toBe(1);
    // The count starts again.
    collector.closed();
    jest.advanceTimersByTime(1000);
    expect(collections).toBe(1);
    collector.closed();
    collector.closed();
    collector.dispose();
    jest.advanceTimersByTime(1000);
    expect(collections).toBe(1);
  });
});

describe('the websocket adapter after clients left', () => {
  let server: http.Server;
  let dispose: () => Promise<void>;
  let collections = 0;
  let wsUrl: string;

  beforeEach(async () => {
    collections = 0;
    server = http.createServer();
    ({ dispose } = useGraphqlWs({
      server,
      path: '/graphql',
      schema: () => buildSchema('type Query { ping: Boolean }'),
      subscriptions: () => null,
      executeOperation: async () => ({ data: { ping: true } }),
      collectGarbage: () => void collections++,
      collectAfterClosed: 3,
    }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterEach(async () => {
    await dispose();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const open = async () => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise<void>((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const acked = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await acked;
    return socket;
  };
  const close = (socket: WebSocket) => new Promise<void>((resolve) => socket.once('close', () => resolve()).close());

  it('should collect garbage once enough connections closed and none closed for a while', async () => {
    const sockets = await Promise.all([open(), open(), open(), open()]);
    await close(sockets[0]);
    await close(sockets[1]);
    expect(collections).toBe(0);
    await close(sockets[2]);
    await waitFor(() => collections === 1, 'a collection after the third close', 5000);
    await close(sockets[3]);
    expect(collections).toBe(1);
  }, 15_000);
});
