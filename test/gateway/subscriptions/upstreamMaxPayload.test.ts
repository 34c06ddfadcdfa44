/**
 * The byte cap on what a subgraph's websocket sends (createUpstreamClient): a message over
 * `maxPayload` closes the socket and fails the subscription instead of being read into memory, and the
 * client never offers compression (a small compressed frame could inflate past any cap). The subgraph
 * here is a plain `ws` server speaking graphql-transport-ws, so the test controls each message's size.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { createUpstreamClient } from '../../../gateway/subscriptions/createUpstreamClient.js';
import { deferred, withTimeout } from '../../support/asyncWait.js';

/** A subgraph that answers every subscription with one `next` whose payload is `bytes` long, then `complete`. */
async function startBigAnswerSubgraph(bytes: number) {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: true });
  const offered: Array<string | undefined> = [];
  wss.on('connection', (socket, request) => {
    offered.push(request.headers['sec-websocket-extensions']);
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string; id?: string };
      if (message.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }));
      if (message.type === 'subscribe') {
        socket.send(JSON.stringify({ id: message.id, type: 'next', payload: { data: { text: 'x'.repeat(bytes) } } }));
        socket.send(JSON.stringify({ id: message.id, type: 'complete' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const close = async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { wsUrl, offered, close };
}

/** Subscribes once and settles with what the subscription gave: its data sizes, or its error. */
function subscribeOnce(client: ReturnType<typeof createUpstreamClient>) {
  const sizes: number[] = [];
  const ended = deferred<{ sizes: number[]; error?: unknown }>();
  client.subscribe<{ text: string }>(
    { query: 'subscription { text }' },
    {
      next: (value) => void sizes.push(value.data?.text.length ?? -1),
      error: (error) => ended.resolve({ sizes, error }),
      complete: () => ended.resolve({ sizes }),
    },
  );
  return withTimeout(ended.promise, 'the subscription to end');
}

describe('the byte cap on upstream websocket messages', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });

  it('should fail the subscription on a message over maxPayload, and read one within it', async () => {
    const subgraph = await startBigAnswerSubgraph(200_000);
    cleanups.push(subgraph.close);
    const capped = createUpstreamClient({ wsUrls: [subgraph.wsUrl], maxPayload: 100_000, retry: { attempts: 0 } });
    cleanups.push(() => capped.dispose() as Promise<void>);
    const roomy = createUpstreamClient({ wsUrls: [subgraph.wsUrl], maxPayload: 300_000, retry: { attempts: 0 } });
    cleanups.push(() => roomy.dispose() as Promise<void>);

    const refused = await subscribeOnce(capped);
    const read = await subscribeOnce(roomy);

    expect(refused.sizes).toEqual([]);
    // ws fails the socket (and closes it with 1009, "message too big") as soon as the frame's length is read.
    expect((refused.error as { error?: Error }).error?.message).toBe('Max payload size exceeded');
    expect(read).toEqual({ sizes: [200_000] });
    // Offered by neither: the subgraph's server would have compressed its answers.
    expect(subgraph.offered).toEqual([undefined, undefined]);
  });
});
