/**
 * createHeartbeat on a real `ws` server on loopback: one timer pings every connection once per interval;
 * a client that answers keeps its connection, one that does not is terminated after the next interval.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { createHeartbeat, type Heartbeat } from '../../../gateway/http/createHeartbeat.js';
import { FramedWebSocket } from '../../../gateway/http/FramedWebSocket.js';
import { deferred, withTimeout } from '../../support/asyncWait.js';

describe('createHeartbeat', () => {
  let server: http.Server;
  let wss: WebSocketServer;
  let heartbeat: Heartbeat;
  let url: string;
  const clients: WebSocket[] = [];

  beforeEach(async () => {
    server = http.createServer();
    wss = new WebSocketServer({ server, WebSocket: FramedWebSocket });
    heartbeat = createHeartbeat({ intervalMs: 200, slices: 4 });
    wss.on('connection', (socket: FramedWebSocket) => heartbeat.watch(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    heartbeat.dispose();
    for (const client of clients.splice(0)) client.terminate();
    for (const socket of wss.clients) socket.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function connect(autoPong: boolean) {
    const client = new WebSocket(url, { autoPong });
    clients.push(client);
    const pings: number[] = [];
    client.on('ping', () => void pings.push(performance.now()));
    const closed = deferred<number>();
    client.on('close', (code) => closed.resolve(code));
    await new Promise<void>((resolve, reject) => client.once('open', resolve).once('error', reject));
    return { client, pings, closed: closed.promise };
  }

  it('should keep pinging a client that answers, once per interval, and drop one that does not', async () => {
    const answering = await connect(true);
    const silent = await connect(false);
    // The silent one is pinged once, then terminated (1006: no close frame) at its next turn.
    expect(await withTimeout(silent.closed, 'the silent client to be dropped', 3000)).toBe(1006);
    expect(silent.pings).toHaveLength(1);

    const threePings = deferred<void>();
    answering.client.on('ping', () => answering.pings.length >= 3 && threePings.resolve());
    await withTimeout(threePings.promise, 'three pings to the answering client', 3000);
    expect(answering.client.readyState).toBe(WebSocket.OPEN);
    const gaps = answering.pings.slice(1).map((at, i) => at - answering.pings[i]);
    for (const gap of gaps) expect(gap).toBeGreaterThan(100);
  });

  it('should forget a connection when it closes', async () => {
    const { client } = await connect(true);
    const [socket] = [...wss.clients] as FramedWebSocket[];
    const bucket = socket.heartbeatBucket!;
    expect(bucket.has(socket)).toBe(true);
    const gone = deferred<void>();
    socket.once('close', () => gone.resolve());
    client.close();
    await withTimeout(gone.promise, 'the server side to close');
    expect(bucket.has(socket)).toBe(false);
  });

  it('should do nothing when turned off, and refuse bad settings', () => {
    const off = createHeartbeat({ intervalMs: 0 });
    const socket = { on: jest.fn(), once: jest.fn() } as unknown as FramedWebSocket;
    off.watch(socket);
    expect(socket.on).not.toHaveBeenCalled();
    off.dispose();
    expect(() => createHeartbeat({ intervalMs: -1 })).toThrow(RangeError);
    expect(() => createHeartbeat({ slices: 0 })).toThrow(RangeError);
  });
});
