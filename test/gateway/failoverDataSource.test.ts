import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse } from 'graphql';
import { FailoverDataSource, isConnectionError } from '../../gateway/http/FailoverDataSource.js';
import { buildProductsSubgraph } from '../support/productMeshSubgraphs.js';
import { startSubgraphServer, type SubgraphServer } from '../support/startSubgraphServer.js';
import { refusedUrl } from '../support/refusedUrl.js';

const KETTLE = `{ product(id: "p1") { name } }`;

/** A request as the gateway hands it to a data source (the request-kind enum is not exported at run time). */
function request(query: string): GraphQLDataSourceProcessOptions {
  return { kind: 'health check', request: { query }, context: {} } as unknown as GraphQLDataSourceProcessOptions;
}

/** A products subgraph counting the HTTP requests it answers. */
async function startCountingProducts(): Promise<SubgraphServer & { requests: number }> {
  let requests = 0;
  const server = await startSubgraphServer(buildProductsSubgraph(), { context: () => ((requests += 1), {}) });
  return Object.defineProperty(server, 'requests', { get: () => requests }) as SubgraphServer & { requests: number };
}

/** Listens on loopback, port 0; returns the `/graphql` URL and a closer. */
async function listen(server: http.Server | net.Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('FailoverDataSource', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  const started = <T extends { close(): Promise<void> }>(server: T): T => {
    cleanups.push(() => server.close());
    return server;
  };

  it('should send every request to the first URL while it answers', async () => {
    const first = started(await startCountingProducts());
    const second = started(await startCountingProducts());
    const source = new FailoverDataSource({ urls: [first.url, second.url] });

    for (let i = 0; i < 3; i += 1) expect(await source.process(request(KETTLE))).toMatchObject({ data: { product: { name: 'Kettle' } } });

    expect([first.requests, second.requests]).toEqual([3, 0]);
    expect(source.currentUrl).toBe(first.url);
  });

  it('should move to the next URL when the connection is refused, and stay there', async () => {
    const down = await refusedUrl();
    const up = started(await startCountingProducts());
    const moves: Array<[string, string, string]> = [];
    const source = new FailoverDataSource({ urls: [down, up.url], onFailover: (from, to, error) => void moves.push([from, to, (error as Error).message]) });

    expect(await source.process(request(KETTLE))).toMatchObject({ data: { product: { name: 'Kettle' } } });
    expect(source.currentUrl).toBe(up.url);
    expect(await source.process(request(KETTLE))).toMatchObject({ data: { product: { name: 'Kettle' } } });
    expect(up.requests).toBe(2);
    // One move, told once (the gateway logs it: a replica down is otherwise invisible while the next answers).
    expect(moves).toEqual([[down, up.url, expect.any(String)]]);
  });

  it('should move to the next URL when the connection is reset', async () => {
    const resetting = started(await listen(net.createServer((socket) => socket.resetAndDestroy())));
    const up = started(await startCountingProducts());
    const source = new FailoverDataSource({ urls: [resetting.url, up.url] });

    expect(await source.process(request(KETTLE))).toMatchObject({ data: { product: { name: 'Kettle' } } });
    expect(source.currentUrl).toBe(up.url);
  });

  it('should wrap around to the first URL when the current one goes down', async () => {
    const first = started(await startCountingProducts());
    const down = await refusedUrl();
    const source = new FailoverDataSource({ urls: [down, first.url] });
    await source.process(request(KETTLE));
    expect(source.currentUrl).toBe(first.url);

    await first.close();
    const back = started(await startSubgraphServer(buildProductsSubgraph(), { port: Number(new URL(down).port) }));

    expect(await source.process(request(KETTLE))).toMatchObject({ data: { product: { name: 'Kettle' } } });
    expect(source.currentUrl).toBe(back.url);
  });

  it('should return GraphQL errors as the subgraph answered them, without trying another URL', async () => {
    const failing = started(
      await startSubgraphServer(
        buildSubgraphSchema({
          typeDefs: parse(`type Query { broken: String }`),
          resolvers: {
            Query: {
              broken: () => {
                throw new GraphQLError('no luck', { extensions: { code: 'NO_LUCK' } });
              },
            },
          },
        }),
      ),
    );
    const other = started(await startCountingProducts());
    const source = new FailoverDataSource({ urls: [failing.url, other.url] });

    const response = await source.process(request(`{ broken }`));

    expect(response.errors).toEqual([expect.objectContaining({ message: 'no luck', extensions: expect.objectContaining({ code: 'NO_LUCK' }) })]);
    expect(other.requests).toBe(0);
    expect(source.currentUrl).toBe(failing.url);
  });

  it('should throw an HTTP error status as is, without trying another URL', async () => {
    const first = started(await startCountingProducts());
    const second = started(await startCountingProducts());
    const source = new FailoverDataSource({ urls: [first.url, second.url] });

    // Apollo Server answers 400 to a document that does not validate.
    await expect(source.process(request(`{ product(id: "p1") { nope } }`))).rejects.toThrow('400: Bad Request');
    expect(second.requests).toBe(0);
    expect(source.currentUrl).toBe(first.url);
  });

  it('should reject with the connection error when no URL can be reached', async () => {
    const source = new FailoverDataSource({ urls: [await refusedUrl(), await refusedUrl()] });

    const failure = await source.process(request(KETTLE)).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(isConnectionError(failure)).toBe(true);
    expect(String((failure as Error).message)).toMatch(/ECONNREFUSED/);
  });

  it("should send the headers a replica's data source adds once per attempt, not once per earlier attempt too", async () => {
    const seen: Array<string | string[] | undefined> = [];
    const recording = started(
      await listen(
        http.createServer((req, res) => {
          seen.push(req.headers['x-identity']);
          req.resume();
          req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}'));
        }),
      ),
    );
    class SigningDataSource extends RemoteGraphQLDataSource {
      override willSendRequest({ request }: GraphQLDataSourceProcessOptions): void {
        request.http?.headers.append('x-identity', 'alice');
      }
    }
    const source = new FailoverDataSource({
      urls: [await refusedUrl(), recording.url],
      buildDataSource: (url) => new SigningDataSource({ url }),
    });

    expect(await source.process(request(`{ ok }`))).toMatchObject({ data: { ok: true } });
    expect(seen).toEqual(['alice']);
  });

  it('should refuse an empty list of URLs', () => {
    expect(() => new FailoverDataSource({ urls: [] })).toThrow('at least one URL');
  });
});

describe('isConnectionError', () => {
  it('should recognise a refused fetch (undici wraps the cause) and not a GraphQL error', async () => {
    const refused = await fetch(await refusedUrl()).catch((error: unknown) => error);
    expect(isConnectionError(refused)).toBe(true);
    expect(isConnectionError(new GraphQLError('fetch failed somewhere', { extensions: { code: 'X' } }))).toBe(false);
    expect(isConnectionError(new Error('500: Internal Server Error'))).toBe(false);
  });
});
