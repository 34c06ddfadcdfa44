/**
 * scripts/afterFirstAnswer.ts: the hook the gateway writes its code cache from. A first request whose
 * client goes away before the answer must not use it up: the first answered request calls it, once.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterFirstAnswer } from '../../scripts/afterFirstAnswer.js';
import { deferred, withTimeout, type Deferred } from '../support/asyncWait.js';

describe('afterFirstAnswer', () => {
  let server: Server;
  let url: string;
  /** Each request's response on the server side, in arrival order. */
  let responses: Array<Deferred<ServerResponse>>;
  let answers: number;

  beforeEach(async () => {
    responses = Array.from({ length: 3 }, () => deferred<ServerResponse>());
    let arrived = 0;
    // Answers once the whole body is in, as the gateway does: a client that leaves first gets no answer.
    server = createServer((request, response) => {
      responses[arrived++].resolve(response);
      request.resume();
      request.on('end', () => response.end('ok'));
    });
    answers = 0;
    afterFirstAnswer(server, () => void (answers += 1));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A request answered in full; resolves once the server side of it is closed (its `finish` came first). */
  async function answered(index: number): Promise<void> {
    const response = await fetch(url, { method: 'POST', body: 'query' });
    expect(await response.text()).toBe('ok');
    const served = await withTimeout(responses[index].promise, `request ${index} at the server`);
    if (!served.closed) await once(served, 'close');
  }

  it('should call back after the first answered request, not after one aborted before its answer, and only once', async () => {
    // Headers and part of the body, then the client is gone: the server has the request, never answers it.
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npart');
    const aborted = await withTimeout(responses[0].promise, 'the aborted request at the server');
    socket.destroy();
    if (!aborted.closed) await once(aborted, 'close');
    expect([aborted.writableFinished, answers]).toEqual([false, 0]);

    await answered(1);
    expect(answers).toBe(1);
    await answered(2);
    expect(answers).toBe(1);
  });
});
