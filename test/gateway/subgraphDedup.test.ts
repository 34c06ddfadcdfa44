/**
 * Sharing of identical in-flight subgraph requests (gateway/upstream/shareInflight.ts, used by
 * createSubgraphClient.ts) against a real loopback server: identical read-only requests in flight go
 * once; another identity, body, a mutation's fetch or the setting turned off go apart; a caller whose own
 * budget runs out stops waiting without cutting the others off.
 */
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { READ_ONLY_ANSWER } from '../../core/apollo/readOnlyAnswer.js';
import { SubgraphDataSource } from '../../gateway/upstream/SubgraphDataSource.js';
import { createSubgraphClient, type SubgraphPostRequest } from '../../gateway/upstream/createSubgraphClient.js';
import { encodeRequestBody, isShareableFetch, sharingKey } from '../../gateway/upstream/shareInflight.js';
import { DEFAULT_SUBGRAPH_CLIENT_CONFIG, type SubgraphClientConfig } from '../../gateway/upstream/SubgraphClientConfig.js';
import { SubgraphTimeoutError } from '../../gateway/upstream/SubgraphTimeoutError.js';
import { deferred } from '../support/asyncWait.js';
import { json, startScriptedServer, type ScriptedServer } from '../support/startScriptedServer.js';

const BODY = JSON.stringify({ query: '{ product(id: "p1") { name } }' });

function config(overrides: Partial<SubgraphClientConfig> = {}): SubgraphClientConfig {
  return { ...DEFAULT_SUBGRAPH_CLIENT_CONFIG, breaker: false, ...overrides };
}

describe('sharing identical in-flight subgraph requests', () => {
  let server: ScriptedServer;
  let release = deferred<void>();
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    release = deferred<void>();
    // Every answer waits for the test's go, so concurrent requests are in flight together.
    server = await startScriptedServer(async (request, response, body) => {
      await release.promise;
      json(response, { data: { echo: body, token: request.headers['x-identity'] ?? null } });
    });
  });
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
    await server.close();
  });

  const clientWith = (overrides: Partial<SubgraphClientConfig> = {}) => {
    const client = createSubgraphClient({ config: config(overrides) });
    cleanups.push(() => client.close());
    return client;
  };
  const post = (overrides: Partial<SubgraphPostRequest> = {}): SubgraphPostRequest => ({
    serviceName: 'products',
    url: server.url,
    body: BODY,
    headers: { 'content-type': 'application/json', 'x-identity': 'alice' },
    shareable: true,
    ...overrides,
  });
  const settle = async <T>(promises: Array<Promise<T>>) => {
    // Let every request reach the server (or join one in flight) before the answers go out.
    await new Promise((resolve) => setTimeout(resolve, 50));
    release.resolve();
    return Promise.all(promises);
  };

  it('should send identical read-only requests in flight once and give each caller the answer', async () => {
    const client = clientWith();
    const answers = await settle([
      client.post(post()),
      client.post(post()),
      client.post(post({ headers: { 'x-identity': 'alice', 'content-type': 'application/json', traceparent: '00-abc-def-01' } })),
    ]);
    expect(server.requests).toBe(1);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(JSON.parse(answers[0].text)).toEqual({ data: { echo: BODY, token: 'alice' } });
    // Settled requests leave: the next one is sent again.
    await client.post(post());
    expect(server.requests).toBe(2);
  });

  it('should never share across identities, bodies, unshareable fetches or with the setting off', async () => {
    const client = clientWith();
    await settle([
      client.post(post()),
      client.post(post({ headers: { 'content-type': 'application/json', 'x-identity': 'bob' } })),
      client.post(post({ body: JSON.stringify({ query: '{ product(id: "p2") { name } }' }) })),
      client.post(post({ shareable: false })),
    ]);
    expect(server.requests).toBe(4);
    release = deferred<void>();
    const off = clientWith({ dedupe: false });
    await settle([off.post(post()), off.post(post())]);
    expect(server.requests).toBe(6);
  });

  it('should parse a shared answer once for callers that only read it, and give every other caller its own copy', async () => {
    const client = clientWith();
    const source = new SubgraphDataSource({ url: server.url, serviceName: 'products', http: client });
    const options = (readOnly: boolean) =>
      ({
        kind: 'incoming operation',
        request: { query: '{ product(id: "p1") { name } }', http: { method: 'POST', url: '', headers: new Headers({ 'x-identity': 'alice' }) } },
        incomingRequestContext: { operation: { operation: 'query' } },
        context: {},
        ...(readOnly && { [READ_ONLY_ANSWER]: true }),
      }) as unknown as GraphQLDataSourceProcessOptions;
    const [first, second, own] = await settle([source.process(options(true)), source.process(options(true)), source.process(options(false))]);
    expect(server.requests).toBe(1);
    expect(first).toBe(second);
    expect(own).not.toBe(first);
    expect(own).toEqual(first);
    expect((first.data as { token: unknown }).token).toBe('alice');
  });

  it('should let a caller whose budget runs out give up while the others still get the answer', async () => {
    // The first caller's operation has 30 ms left: it sends the request, and gives up at its deadline.
    const client = clientWith({ requestDeadlineMs: 30 });
    const context = {};
    client.startDeadline(context);
    const impatient = client.post(post({ context }));
    const patient = client.post(post());
    await expect(impatient).rejects.toBeInstanceOf(SubgraphTimeoutError);
    release.resolve();
    expect(JSON.parse((await patient).text)).toEqual({ data: { echo: BODY, token: 'alice' } });
    expect(server.requests).toBe(1);
  });

  it('should abort the shared request when its last caller gives up', async () => {
    // The request id is not part of the sharing key: the server tells the two identical requests apart by it.
    server.handle((request, response, body) => {
      if (request.headers['x-request-id'] !== 'never answered') json(response, { data: { echo: body } });
    });
    const client = clientWith({ requestDeadlineMs: 30 });
    const context = {};
    client.startDeadline(context);
    const headers = { 'content-type': 'application/json', 'x-identity': 'alice' };
    await expect(client.post(post({ context, headers: { ...headers, 'x-request-id': 'never answered' } }))).rejects.toBeInstanceOf(SubgraphTimeoutError);
    // Had the unanswered request stayed shared, this identical one would wait for it and time out.
    expect(JSON.parse((await client.post(post({ headers: { ...headers, 'x-request-id': 'answered' } }))).text)).toEqual({ data: { echo: BODY } });
  });
});

describe('which fetches may be shared', () => {
  const options = (query: string, operation: string | undefined, kind = 'incoming operation') =>
    ({ kind, request: { query }, incomingRequestContext: operation ? { operation: { operation } } : undefined }) as unknown as GraphQLDataSourceProcessOptions;

  it('should share fetches of a client query only, and only read-only documents', () => {
    expect(isShareableFetch(options('{ a }', 'query'))).toBe(true);
    expect(isShareableFetch(options('query($representations: [_Any!]!) { _entities(representations: $representations) { __typename } }', 'query'))).toBe(true);
    // An entity fetch after a mutation must see the mutation's writes.
    expect(isShareableFetch(options('query($representations: [_Any!]!) { _entities(representations: $representations) { __typename } }', 'mutation'))).toBe(
      false,
    );
    expect(isShareableFetch(options('mutation { a }', 'query'))).toBe(false);
    expect(isShareableFetch(options('query A { a } mutation B { b }', 'query'))).toBe(false);
    expect(isShareableFetch(options('fragment F on Q { a } query { ...F }', 'query'))).toBe(false);
    expect(isShareableFetch(options('{ a }', undefined))).toBe(false);
    expect(isShareableFetch(options('{ a }', 'query', 'health check'))).toBe(false);
  });

  it('should key on URL, headers and body, but not on trace context or request id headers', () => {
    const key = sharingKey('http://a/graphql', { 'x-identity': 't1', 'content-type': 'application/json' }, '{}');
    expect(
      sharingKey('http://a/graphql', { 'content-type': 'application/json', 'x-identity': 't1', traceparent: '00-1-2-01', 'x-request-id': 'r1' }, '{}'),
    ).toEqual(key);
    expect(sharingKey('http://a/graphql', { 'content-type': 'application/json', 'x-identity': 't2' }, '{}')).not.toEqual(key);
    expect(sharingKey('http://b/graphql', { 'content-type': 'application/json', 'x-identity': 't1' }, '{}')).not.toEqual(key);
    expect(sharingKey('http://a/graphql', { 'content-type': 'application/json', 'x-identity': 't1' }, '{ }')).not.toEqual(key);
  });

  it('should encode a request body as JSON.stringify does and key it by document and rest', () => {
    const variables = { representations: [{ __typename: 'P', id: '1' }] };
    const { body, parts } = encodeRequestBody('query($representations: [_Any!]!) { a }', { variables, operationName: 'Op' });
    expect(JSON.parse(body)).toEqual({ query: 'query($representations: [_Any!]!) { a }', variables, operationName: 'Op' });
    expect(encodeRequestBody('{ a }', {}).body).toBe(JSON.stringify({ query: '{ a }' }));
    expect(encodeRequestBody('{ "a" }', { variables: undefined }).body).toBe(JSON.stringify({ query: '{ "a" }' }));
    const headers = { 'x-identity': 't1' };
    const key = sharingKey('http://a/graphql', headers, parts);
    expect(
      sharingKey('http://a/graphql', headers, encodeRequestBody('query($representations: [_Any!]!) { a }', { variables, operationName: 'Op' }).parts),
    ).toEqual(key);
    expect(
      sharingKey('http://a/graphql', headers, encodeRequestBody('query($representations: [_Any!]!) { b }', { variables, operationName: 'Op' }).parts),
    ).not.toEqual(key);
    expect(
      sharingKey(
        'http://a/graphql',
        headers,
        encodeRequestBody('query($representations: [_Any!]!) { a }', { variables: { representations: [] }, operationName: 'Op' }).parts,
      ),
    ).not.toEqual(key);
  });
});
