/**
 * createHeartbeat on a real `ws` server on loopback: one timer pings every connection once per interval;
 * a client that answers keeps its connection, one that does not is terminated after the next interval.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { Socket } from 'node:net';
import { createFrameBatcher } from '../../../gateway/http/createFrameBatcher.js';
import { createHeartbeat, type Heartbeat } from '../../../gateway/http/createHeartbeat.js';
import { FramedWebSocket } from '../../../gateway/http/FramedWebSocket.js';
import { deferred, waitFor, withTimeout } from '../../support/asyncWait.js';

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

  it('should send the ping of a connection with subscription writes in its next write, else alone one tick later', async () => {
    const tcpOf = deferred<Socket>();
    wss.once('connection', (_socket, request) => tcpOf.resolve(request.socket));
    const { client, pings } = await connect(true);
    const [socket] = [...wss.clients] as FramedWebSocket[];
    const tcp = await withTimeout(tcpOf.promise, 'the server side of the connection');
    // The connection's subscription writes, as useGraphqlWs wires them, recorded as they go out.
    const writes: Array<{ ping: boolean; messages: number }> = [];
    const writer = createFrameBatcher({ tail: Buffer.from('}') }).writer({
      send(frame, messages) {
        writes.push({ ping: frame[0] === 0x89, messages });
        tcp.write(frame);
        return true;
      },
    });
    socket.batch = writer;
    const received: string[] = [];
    client.on('ping', () => void received.push('ping'));
    client.on('message', (data: Buffer) => void received.push(data.toString()));

    // An event queued in the turn of each ping: the ping goes out in front of it, in its write.
    const deferPing = socket.deferPing.bind(socket);
    let n = 0;
    socket.deferPing = () => {
      deferPing();
      writer.queue(Buffer.from('{"n":'), Buffer.from(String(++n)));
    };
    const twoPings = deferred<void>();
    client.on('ping', () => pings.length >= 2 && twoPings.resolve());
    await withTimeout(twoPings.promise, 'two pings riding along', 3000);
    await waitFor(() => received.length >= 4, 'the events queued with them');
    expect(received.slice(0, 4)).toEqual(['ping', '{"n":1}', 'ping', '{"n":2}']);
    expect(writes.slice(0, 2)).toEqual([
      { ping: true, messages: 1 },
      { ping: true, messages: 1 },
    ]);

    // Nothing to ride along with: the ping goes alone, one tick later, and the client keeps answering.
    socket.deferPing = deferPing;
    const alone = pings.length + 1;
    const onePingMore = deferred<void>();
    client.on('ping', () => pings.length >= alone && onePingMore.resolve());
    await withTimeout(onePingMore.promise, 'a ping with nothing to ride along with', 3000);
    expect(writes.filter((w) => w.messages === 0)).toContainEqual({ ping: true, messages: 0 });
    expect(client.readyState).toBe(WebSocket.OPEN);
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
