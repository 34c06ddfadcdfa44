/**
 * The fan-out benchmark's websocket client (bench/fanout/LeanWebSocket.ts) against a real `ws` server on
 * loopback: what the load generators count rests on it reading every message whole and in order, and on
 * it refusing what a real client would refuse.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { LeanWebSocket } from '../../bench/fanout/LeanWebSocket.js';
import { deferred, waitFor, withTimeout } from '../support/asyncWait.js';

describe('LeanWebSocket', () => {
  let server: http.Server;
  let wss: WebSocketServer;
  let url: string;
  let serverSide: Promise<WebSocket>;
  const clients: LeanWebSocket[] = [];

  beforeEach(async () => {
    server = http.createServer();
    wss = new WebSocketServer({
      server,
      path: '/graphql',
      handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false),
    });
    const connected = deferred<WebSocket>();
    serverSide = connected.promise;
    wss.on('connection', (socket) => connected.resolve(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    for (const socket of wss.clients) socket.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** A client recording what it gets. */
  function open(protocol = 'graphql-transport-ws') {
    const messages: string[] = [];
    const errors: Error[] = [];
    const opened = deferred<void>();
    const closed = deferred<{ code: number; reason: string }>();
    const client = new LeanWebSocket(
      url,
      protocol,
      {
        open: () => opened.resolve(),
        message: (text) => void messages.push(text),
        close: (code, reason) => closed.resolve({ code, reason }),
        error: (error) => void errors.push(error),
      },
      () => performance.now(),
    );
    clients.push(client);
    return { client, messages, errors, opened: opened.promise, closed: closed.promise };
  }

  it('should read every message whole and in order, whatever its size and however the reads split it', async () => {
    const { client, messages, opened } = open();
    await withTimeout(opened, 'handshake');
    const socket = await serverSide;
    const received = deferred<string>();
    socket.on('message', (data: Buffer) => received.resolve(data.toString()));
    client.send(JSON.stringify({ type: 'connection_init', payload: { note: 'é'.repeat(200) } }));
    expect(JSON.parse(await withTimeout(received.promise, 'the masked message at the server'))).toEqual({
      type: 'connection_init',
      payload: { note: 'é'.repeat(200) },
    });

    const sizes = [10, 125, 126, 300, 65_535, 65_536, 200_000, 700_000];
    const sent = sizes.map((size, i) => `${i}:${'x'.repeat(size)}`);
    for (const text of sent) socket.send(text);
    await waitFor(() => messages.length === sent.length, 'every message');
    expect(messages).toEqual(sent);
  });

  it('should answer pings and report the close code and reason the server sent', async () => {
    const { opened, closed } = open();
    await withTimeout(opened, 'handshake');
    const socket = await serverSide;
    const pong = deferred<string>();
    socket.on('pong', (data) => pong.resolve(data.toString()));
    socket.ping('are you there');
    expect(await withTimeout(pong.promise, 'pong')).toBe('are you there');
    socket.close(1013, 'client too slow');
    expect(await withTimeout(closed, 'close')).toEqual({ code: 1013, reason: 'client too slow' });
  });

  it('should close with a close handshake when asked', async () => {
    const { client, opened, closed } = open();
    await withTimeout(opened, 'handshake');
    const socket = await serverSide;
    const serverClosed = deferred<number>();
    socket.on('close', (code) => serverClosed.resolve(code));
    client.close(1000);
    expect(await withTimeout(serverClosed.promise, 'the server to see the close')).toBe(1000);
    expect((await withTimeout(closed, 'close')).code).toBe(1000);
  });

  it('should refuse a handshake without the asked subprotocol', async () => {
    const { errors, closed } = open('something-else');
    await withTimeout(closed, 'close');
    expect(errors.map((e) => e.message).join()).toMatch(/subprotocol|handshake refused/);
  });

  it('should refuse a fragmented message instead of counting its parts', async () => {
    const { messages, errors, opened, closed } = open();
    await withTimeout(opened, 'handshake');
    const socket = await serverSide;
    socket.send('first half', { fin: false });
    socket.send(' second half', { fin: true });
    expect((await withTimeout(closed, 'close')).code).toBe(1006);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/unexpected frame/)]);
    expect(messages).toEqual([]);
  });
});
