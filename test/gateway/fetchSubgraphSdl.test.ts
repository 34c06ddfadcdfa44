/**
 * The byte cap on a subgraph's SDL answer (fetchSubgraphSdl): counted as the body is read, after
 * decompression, so neither a long answer nor a small gzip bomb is read past it; an answer within it is
 * read as before. Real HTTP servers on loopback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { fetchSubgraphSdl } from '../../gateway/supergraph/fetchSubgraphSdl.js';

/** `_service { sdl }` answer whose SDL is padded with a comment to about `bytes`. */
const answer = (bytes: number) => JSON.stringify({ data: { _service: { sdl: `type Query { ok: Boolean } # ${'x'.repeat(bytes)}` } } });

describe('fetchSubgraphSdl', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });
  async function serve(handler: http.RequestListener): Promise<string> {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  }

  it('should refuse an answer longer than maxBytes, and read one within it', async () => {
    const url = await serve((_request, response) => void response.writeHead(200, { 'content-type': 'application/json' }).end(answer(50_000)));
    await expect(fetchSubgraphSdl({ name: 'big', url }, {}, 5000, 10_000)).rejects.toThrow(
      `subgraph "big" at ${url} answered more than 10000 bytes, the gateway's limit for one subgraph answer`,
    );
    const read = await fetchSubgraphSdl({ name: 'big', url }, {}, 5000, 100_000);
    expect(read.sdl).toMatch(/^type Query \{ ok: Boolean \}/);
  });

  it('should count the decompressed bytes of a gzip answer, not what came over the wire', async () => {
    const zipped = gzipSync(answer(2_000_000));
    expect(zipped.length).toBeLessThan(10_000);
    const url = await serve(
      (_request, response) => void response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(zipped),
    );
    await expect(fetchSubgraphSdl({ name: 'zipped', url }, {}, 5000, 100_000)).rejects.toThrow('answered more than 100000 bytes');
  });
});
