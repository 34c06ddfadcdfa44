/**
 * A loopback HTTP server whose every answer the test decides, counting what reached it: requests,
 * TCP connections (all and at once), and requests in flight at once. Stands in for a subgraph that is
 * slow, hangs, answers 503, resets connections, or sits in front of a real subgraph as a proxy.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server does with one request: `body` is the request body as text. */
export type ScriptedHandler = (request: http.IncomingMessage, response: http.ServerResponse, body: string) => void | Promise<void>;

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>/graphql`. */
  readonly url: string;
  /** Requests received (their body read). */
  readonly requests: number;
  /** TCP connections accepted in all. */
  readonly connections: number;
  /** Most requests in flight at one time. */
  readonly maxInFlight: number;
  /** Request bodies received, in order. */
  readonly bodies: string[];
  /** Replaces the handler for the requests that arrive from now on. */
  handle(handler: ScriptedHandler): void;
  /** Destroys every connection (hanging requests included) and stops listening. */
  close(): Promise<void>;
}

/** Answers `body` as JSON with `status`. */
export function json(response: http.ServerResponse, body: unknown, status = 200): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** A handler that forwards the request to `target` (a real subgraph) and relays its answer. */
export function forwardTo(target: string): ScriptedHandler {
  return async (request, response, body) => {
    const answer = await fetch(target, { method: request.method, headers: { 'content-type': 'application/json' }, body });
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
  };
}

/** A handler that never answers. */
export const hang: ScriptedHandler = () => {};

export async function startScriptedServer(initial: ScriptedHandler): Promise<ScriptedServer> {
  let handler = initial;
  let requests = 0;
  let connections = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const bodies: string[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests += 1;
      bodies.push(body);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      response.on('close', () => (inFlight -= 1));
      void Promise.resolve(handler(request, response, body)).catch(() => response.destroy());
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    get requests() {
      return requests;
    },
    get connections() {
      return connections;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    bodies,
    handle: (next) => void (handler = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
