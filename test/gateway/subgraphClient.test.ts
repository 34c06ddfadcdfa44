/**
 * The gateway's subgraph HTTP client against real loopback servers: bounded sockets, timeouts and the
 * request deadline, retries only where safe, the circuit breaker's whole cycle, and the data source's
 * answers matching what @apollo/gateway expects of RemoteGraphQLDataSource.
 */
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { probeSubgraphs } from '../../gateway/http/probeSubgraphs.js';
import type { SubgraphAddress } from '../../gateway/supergraph/subgraphAddresses.js';
import { CircuitOpenError } from '../../gateway/upstream/CircuitOpenError.js';
import { createSubgraphClient, type BreakerState, type FetchOutcome, type SubgraphClient } from '../../gateway/upstream/createSubgraphClient.js';
import { DEFAULT_SUBGRAPH_CLIENT_CONFIG, type SubgraphClientConfig } from '../../gateway/upstream/SubgraphClientConfig.js';
import { SubgraphDataSource } from '../../gateway/upstream/SubgraphDataSource.js';
import { SubgraphResponseTooLargeError } from '../../gateway/upstream/SubgraphResponseTooLargeError.js';
import { SubgraphTimeoutError } from '../../gateway/upstream/SubgraphTimeoutError.js';
import { deferred, waitFor, type Deferred } from '../support/asyncWait.js';
import { refusedUrl } from '../support/refusedUrl.js';
import { hang, json, startScriptedServer, type ScriptedServer } from '../support/startScriptedServer.js';

const QUERY = '{ product(id: "p1") { name } }';
const MUTATION = 'mutation { placeOrder(id: "o1") { id } }';
const OK = { data: { product: { name: 'Kettle' } } };

/** A request as @apollo/gateway hands it to a data source (the request-kind enum is not exported at run time). */
function request(query: string, context: Record<string, unknown> = {}): GraphQLDataSourceProcessOptions {
  return { kind: 'health check', request: { query }, context } as unknown as GraphQLDataSourceProcessOptions;
}

/** A subgraph's address as the supergraph snapshot has it (no websockets needed here). */
function address(...urls: string[]): SubgraphAddress {
  return { url: urls[0], wsUrl: '', urls, wsUrls: [] };
}

function config(overrides: Partial<SubgraphClientConfig> = {}): SubgraphClientConfig {
  return { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG, breaker: false, ...overrides };
}

describe('the subgraph HTTP client', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  const server = async (handler: Parameters<typeof startScriptedServer>[0]): Promise<ScriptedServer> => {
    const started = await startScriptedServer(handler);
    cleanups.push(() => started.close());
    return started;
  };
  const client = (options: Parameters<typeof createSubgraphClient>[0]): SubgraphClient => {
    const created = createSubgraphClient(options);
    cleanups.push(() => created.close());
    return created;
  };
  const source = (http: SubgraphClient, url: string, serviceName = 'inventory') => http.guard(serviceName, new SubgraphDataSource({ url, serviceName, http }));

  describe('sockets', () => {
    it('should never open more connections to a subgraph than maxSockets, queueing the rest', async () => {
      // Answers only once three requests wait: with more than three connections, more would be in flight at once.
      const held: Array<() => void> = [];
      const subgraph = await server((_request, response) => {
        held.push(() => json(response, OK));
        if (held.length >= 3) for (const answer of held.splice(0)) answer();
      });
      const http = client({ config: config({ maxSockets: 3 }) });
      const data = source(http, subgraph.url);

      const answers = await Promise.all(Array.from({ length: 12 }, () => data.process(request(QUERY))));

      expect(answers).toEqual(Array.from({ length: 12 }, () => OK));
      expect(subgraph.requests).toBe(12);
      expect(subgraph.maxInFlight).toBe(3);
      expect(subgraph.connections).toBeLessThanOrEqual(3);
    });

    it('should reuse kept-alive connections for requests one after another', async () => {
      const subgraph = await server((_request, response) => json(response, OK));
      const data = source(client({ config: config() }), subgraph.url);
      for (let i = 0; i < 20; i += 1) await data.process(request(QUERY));
      // undici may open a second connection while the first is being released; never one per request.
      expect(subgraph.requests).toBe(20);
      expect(subgraph.connections).toBeLessThanOrEqual(2);
    });
  });

  describe('timeouts', () => {
    it('should cut off a subgraph that never answers at its own timeout, reporting it to onFetch', async () => {
      const subgraph = await server(hang);
      const outcomes: FetchOutcome[] = [];
      const http = client({
        config: config({ timeoutMs: 5_000, subgraphs: { inventory: { timeoutMs: 200 } } }),
        onFetch: (_name, _ms, outcome) => void outcomes.push(outcome),
      });
      const started = Date.now();

      const failure = await source(http, subgraph.url)
        .process(request(QUERY))
        .catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(SubgraphTimeoutError);
      expect(failure).toMatchObject({ sent: true, message: 'Subgraph "inventory" did not answer within 200 ms.' });
      expect((failure as GraphQLError).extensions).toEqual({ code: 'GATEWAY_TIMEOUT', serviceName: 'inventory' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(195);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(outcomes).toEqual(['timeout']);
    });

    it('should give each fetch only what is left of the operation deadline, and not send one after it', async () => {
      // The first fetch is answered at once and the second never: the second must be cut off when the
      // operation's deadline ends (1 s after it started), not a whole deadline after it was sent (1.5 s).
      // Timings are far apart so that a loaded machine's late timers cannot blur the two.
      const subgraph = await server((_request, response) => {
        if (subgraph.requests !== 2) json(response, OK); // the second hangs
      });
      const http = client({ config: config({ timeoutMs: 5_000, requestDeadlineMs: 1_000, retry: { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG.retry, retries: 0 } }) });
      const data = source(http, subgraph.url);
      const context = {};
      http.startDeadline(context);
      const started = Date.now();

      expect(await data.process(request(QUERY, context))).toEqual(OK);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const second = await data.process(request(QUERY, context)).catch((error: unknown) => error);
      const elapsed = Date.now() - started;
      const third = await data.process(request(QUERY, context)).catch((error: unknown) => error);

      expect(second).toMatchObject({ sent: true, serviceName: 'inventory' });
      expect(elapsed).toBeGreaterThanOrEqual(990);
      expect(elapsed).toBeLessThan(1_450);
      expect(third).toMatchObject({ sent: false, message: 'Subgraph "inventory" was not asked: the request deadline was spent.' });
      expect(subgraph.requests).toBe(2);
      // Another operation has its own deadline.
      expect(await data.process(request(QUERY, {}))).toEqual(OK);
    });
  });

  describe('answer size', () => {
    const TOO_LARGE = { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'inventory' };

    it('should refuse an answer whose content-length is over maxResponseBytes, and still read one within it', async () => {
      const big = { data: { product: { name: 'x'.repeat(2_000) } } };
      let answer: unknown = big;
      const subgraph = await server((_request, response) => json(response, answer));
      const outcomes: FetchOutcome[] = [];
      const http = client({ config: config({ maxResponseBytes: 1_024 }), onFetch: (_name, _ms, outcome) => void outcomes.push(outcome) });

      const failure = await source(http, subgraph.url)
        .process(request(QUERY))
        .catch((error: unknown) => error);
      answer = OK;
      const fine = await source(http, subgraph.url).process(request(QUERY));

      expect(failure).toBeInstanceOf(SubgraphResponseTooLargeError);
      expect((failure as GraphQLError).message).toBe('Subgraph "inventory" answered more than 1024 bytes, the gateway\'s limit for one subgraph answer.');
      expect((failure as GraphQLError).extensions).toEqual(TOO_LARGE);
      expect(fine).toEqual(OK);
      expect(outcomes).toEqual(['error', 'ok']);
    });

    it('should cut off an answer without a length once more than maxResponseBytes came, closing the connection, not waiting for its end', async () => {
      // A subgraph that streams an answer that never ends: only the byte limit can stop it before the timeout.
      const closed = deferred();
      const subgraph = await server((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"data":{"product":{"name":"');
        const timer = setInterval(() => response.write('x'.repeat(512)), 5);
        response.on('close', () => {
          clearInterval(timer);
          closed.resolve();
        });
      });
      const http = client({ config: config({ timeoutMs: 60_000, maxResponseBytes: 4_096, retry: { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG.retry, retries: 0 } }) });

      const failure = await source(http, subgraph.url)
        .process(request(QUERY))
        .catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(SubgraphResponseTooLargeError);
      expect((failure as GraphQLError).extensions).toEqual(TOO_LARGE);
      await closed.promise;
      expect(subgraph.requests).toBe(1);
    });
  });

  describe('retries', () => {
    const retrying = config({ retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 } });

    it('should send a query again after a 503 and after a reset connection', async () => {
      const subgraph = await server((request, response) => {
        if (subgraph.requests === 1) return void json(response, { errors: [{ message: 'busy' }] }, 503);
        if (subgraph.requests === 2) return void request.socket.destroy();
        json(response, OK);
      });
      expect(await source(client({ config: retrying }), subgraph.url).process(request(QUERY))).toEqual(OK);
      expect(subgraph.requests).toBe(3);
    });

    it('should give up after the configured retries', async () => {
      const subgraph = await server((_request, response) => json(response, {}, 503));
      const failure = await source(client({ config: retrying }), subgraph.url)
        .process(request(QUERY))
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ message: '503: Service Unavailable', extensions: { response: { status: 503 } } });
      expect(subgraph.requests).toBe(3);
    });

    it('should never send a mutation twice', async () => {
      const busy = await server((_request, response) => json(response, {}, 503));
      const resetting = await server((request) => void request.socket.destroy());
      const http = client({ config: retrying });
      await expect(source(http, busy.url).process(request(MUTATION))).rejects.toMatchObject({ message: '503: Service Unavailable' });
      await expect(source(http, resetting.url, 'orders').process(request(MUTATION))).rejects.toBeTruthy();
      expect([busy.requests, resetting.requests]).toEqual([1, 1]);
    });

    it('should not retry an answer that is a failure of the request itself (500, timeout)', async () => {
      const failing = await server((_request, response) => json(response, {}, 500));
      const hanging = await server(hang);
      const http = client({ config: { ...retrying, subgraphs: { slow: { timeoutMs: 50 } } } });
      await expect(source(http, failing.url).process(request(QUERY))).rejects.toMatchObject({ message: '500: Internal Server Error' });
      await expect(source(http, hanging.url, 'slow').process(request(QUERY))).rejects.toBeInstanceOf(SubgraphTimeoutError);
      expect([failing.requests, hanging.requests]).toEqual([1, 1]);
    });
  });

  describe('circuit breaker', () => {
    const breaking = config({
      breaker: { errorPercent: 50, minRequests: 2, windowMs: 10_000, resetMs: 150 },
      retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 },
    });
    const watch = () => {
      const changes: BreakerState[] = [];
      const next: Partial<Record<BreakerState, Deferred<void>>> = {};
      const on = (state: BreakerState) => (next[state] = deferred()).promise;
      const onBreakerChange = (name: string, state: BreakerState) => {
        changes.push(state);
        next[state]?.resolve();
      };
      return { changes, on, onBreakerChange };
    };

    it('should open after failures, fail fast without a request, let one probe through half-open and close when it succeeds', async () => {
      const subgraph = await server((_request, response) => json(response, {}, 500));
      const states = watch();
      const outcomes: FetchOutcome[] = [];
      const http = client({ config: breaking, onBreakerChange: states.onBreakerChange, onFetch: (_name, _ms, outcome) => void outcomes.push(outcome) });
      const data = source(http, subgraph.url);
      const opened = states.on('open');

      for (let i = 0; i < 2; i += 1) await expect(data.process(request(QUERY))).rejects.toMatchObject({ message: '500: Internal Server Error' });
      await opened;
      const halfOpen = states.on('half-open');
      const refused = await data.process(request(QUERY)).catch((error: unknown) => error);

      expect(refused).toBeInstanceOf(CircuitOpenError);
      expect((refused as GraphQLError).extensions).toEqual({ code: 'CIRCUIT_BREAKER_OPEN', serviceName: 'inventory' });
      expect(subgraph.requests).toBe(2);
      expect(http.openBreakers()).toEqual(['inventory']);
      expect(outcomes).toEqual(['http_error', 'http_error', 'circuit_open']);

      // Still failing at the first probe: open again for another period.
      await halfOpen;
      const reopened = states.on('open');
      await expect(data.process(request(QUERY))).rejects.toMatchObject({ message: '500: Internal Server Error' });
      await reopened;
      expect(subgraph.requests).toBe(3);

      subgraph.handle((_request, response) => json(response, OK));
      await states.on('half-open');
      const closed = states.on('closed');
      expect(await data.process(request(QUERY))).toEqual(OK);
      await closed;
      expect(http.openBreakers()).toEqual([]);
      expect(states.changes).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
      expect(await data.process(request(QUERY))).toEqual(OK);
    });

    it('should count timeouts and refused connections as failures, 4xx, GraphQL errors and over-limit answers as answers', async () => {
      const refusing = await refusedUrl();
      const hanging = await server(hang);
      const refusingClient = await server((_request, response) => json(response, { errors: [{ message: 'bad' }] }, 400));
      const answeringWithErrors = await server((_request, response) => json(response, { errors: [{ message: 'no such product' }] }));
      // A client's query can ask for an answer over the limit: that must not open the breaker for everyone.
      const answeringTooMuch = await server((_request, response) => json(response, { data: { product: { name: 'x'.repeat(2_000) } } }));
      const http = client({ config: { ...breaking, maxResponseBytes: 1_024, subgraphs: { slow: { timeoutMs: 30 } } } });

      for (let i = 0; i < 3; i += 1) {
        await source(http, refusing, 'down')
          .process(request(QUERY))
          .catch(() => {});
        await source(http, hanging.url, 'slow')
          .process(request(QUERY))
          .catch(() => {});
        await source(http, refusingClient.url, 'picky')
          .process(request(QUERY))
          .catch(() => {});
        await source(http, answeringWithErrors.url, 'strict').process(request(QUERY));
        await expect(source(http, answeringTooMuch.url, 'bulky').process(request(QUERY))).rejects.toBeInstanceOf(SubgraphResponseTooLargeError);
      }

      expect(http.openBreakers()).toEqual(['down', 'slow']);
      expect([refusingClient.requests, answeringWithErrors.requests, answeringTooMuch.requests]).toEqual([3, 3, 3]);
    });

    it('should have no breaker when it is off', async () => {
      const subgraph = await server((_request, response) => json(response, {}, 500));
      const http = client({ config: config({ breaker: false, retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 } }) });
      for (let i = 0; i < 12; i += 1)
        await source(http, subgraph.url)
          .process(request(QUERY))
          .catch(() => {});
      expect(subgraph.requests).toBe(12);
      expect(http.openBreakers()).toEqual([]);
    });
  });

  describe('SubgraphDataSource', () => {
    it('should answer as RemoteGraphQLDataSource does: status errors with the response, codes for 401/403, JSON only', async () => {
      const subgraph = await server((_request, response) => json(response, { errors: [{ message: 'boom' }] }, 500));
      const http = client({ config: config({ retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 } }) });
      const data = new SubgraphDataSource({ url: subgraph.url, serviceName: 'inventory', http });

      const failure = (await data.process(request(QUERY)).catch((error: unknown) => error)) as GraphQLError;
      expect(failure).toBeInstanceOf(GraphQLError);
      expect([failure.message, failure.extensions]).toEqual([
        '500: Internal Server Error',
        { response: { url: subgraph.url, status: 500, statusText: 'Internal Server Error', body: { errors: [{ message: 'boom' }] } } },
      ]);

      subgraph.handle((_request, response) => void response.writeHead(401, { 'content-type': 'text/plain' }).end('who are you'));
      await expect(data.process(request(QUERY))).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED', response: { body: 'who are you' } } });
      subgraph.handle((_request, response) => json(response, {}, 403));
      await expect(data.process(request(QUERY))).rejects.toMatchObject({ extensions: { code: 'FORBIDDEN' } });
      subgraph.handle((_request, response) => void response.writeHead(200, { 'content-type': 'text/html' }).end('<html>'));
      await expect(data.process(request(QUERY))).rejects.toThrow('Expected JSON response body, but received: <html>');
      subgraph.handle((_request, response) => void response.writeHead(502, { 'content-type': 'application/json' }).end('<html>bad gateway'));
      await expect(data.process(request(QUERY))).rejects.toMatchObject({
        message: '502: Bad Gateway',
        extensions: { response: { body: '<html>bad gateway' } },
      });
      subgraph.handle((_request, response) => json(response, [1, 2]));
      await expect(data.process(request(QUERY))).rejects.toThrow('Expected JSON response body');
      await expect(data.process(request(''))).rejects.toThrow('Missing query');
    });

    it('should send the query, variables and headers, with what willSendRequest adds', async () => {
      const seen: Array<Record<string, unknown>> = [];
      const subgraph = await server((request, response) => {
        seen.push({ ...request.headers });
        json(response, OK);
      });
      class Signed extends SubgraphDataSource {
        protected override willSendRequest({ request: sent }: GraphQLDataSourceProcessOptions): void {
          sent.http?.headers.set('x-signed', 'yes');
        }
      }
      const http = client({ config: config() });
      const options = request(QUERY);
      options.request.variables = { id: 'p1' };
      options.request.http = { method: 'POST', url: 'ignored', headers: new Headers({ 'apollo-federation-include-trace': 'ftv1' }) };

      expect(await new Signed({ url: subgraph.url, serviceName: 'inventory', http }).process(options)).toEqual(OK);

      expect(JSON.parse(subgraph.bodies[0])).toEqual({ query: QUERY, variables: { id: 'p1' } });
      expect(seen[0]).toMatchObject({ 'content-type': 'application/json', 'x-signed': 'yes', 'apollo-federation-include-trace': 'ftv1' });
    });

    it('should not let a throwing metrics or log hook fail a fetch', async () => {
      const subgraph = await server((_request, response) => json(response, OK));
      const throwing = () => {
        throw new Error('metrics are down');
      };
      const http = client({ config: config(), onFetch: throwing, onBreakerChange: throwing });
      expect(await source(http, subgraph.url).process(request(QUERY))).toEqual(OK);
    });

    it('should work without a client of its own, on a shared default one', async () => {
      const subgraph = await server((_request, response) => json(response, OK));
      expect(await new SubgraphDataSource({ url: subgraph.url, serviceName: 'inventory' }).process(request(QUERY))).toEqual(OK);
    });
  });

  describe('probes', () => {
    it('should report each subgraph that does not answer below 500; closing aborts requests in flight and refuses new ones', async () => {
      const up = await server((_request, response) => json(response, { data: { __typename: 'Query' } }));
      const failing = await server((_request, response) => json(response, {}, 500));
      const down = await refusedUrl();
      const http = createSubgraphClient({ config: config() });

      const problems = await probeSubgraphs(
        {
          up: address(up.url),
          failing: address(failing.url),
          down: address(down),
          replicated: address(down, up.url),
          unsigned: address(up.url),
        },
        { http, headersFor: async (name) => (name === 'unsigned' ? Promise.reject(new Error('no keys')) : { 'x-probe': name }) },
      );

      expect(problems).toEqual([
        `failing: answered 500 at ${failing.url}`,
        expect.stringMatching(/^down: unreachable at http:\/\/127\.0\.0\.1:\d+\/graphql \(connect ECONNREFUSED/),
        'unsigned: no headers to probe it with (no keys)',
      ]);
      const hanging = await server(hang);
      const inFlight = http.post({ serviceName: 'slow', url: hanging.url, body: '{}', headers: {} });
      await waitFor(() => hanging.requests === 1, 'the request to reach the hanging subgraph');
      const aborted = expect(inFlight).rejects.toThrow('The client is destroyed');
      await http.close();
      await aborted;
      await expect(http.post({ serviceName: 'up', url: up.url, body: '{}', headers: {} })).rejects.toThrow('the subgraph client is closed');
    });
  });
});
