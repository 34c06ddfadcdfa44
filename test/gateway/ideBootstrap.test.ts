/**
 * The IDE's bootstrap script run in a VM with GraphiQL, graphql-ws and React stubbed: what it hands
 * GraphiQL, and what its fetcher sends (the Chromium suite, test/browser/, runs it for real).
 */
import vm from 'node:vm';
import { IDE_BOOTSTRAP } from '../../gateway/ide/ideBootstrap.js';

interface Harness {
  props: Record<string, any>;
  clients: Array<{ url: string; connectionParams: unknown; disposed: boolean; iterated: unknown[] }>;
  calls: Array<{ url: string; headers: unknown; params: any; options: any }>;
}

function runBootstrap(search = '', examples: unknown[] = [{ productId: 'p', query: '{ a }' }]): Harness {
  const harness: Harness = { props: {}, clients: [], calls: [] };
  const config = { graphqlPath: '/graphql', examples };
  const sandbox = {
    URL,
    URLSearchParams,
    JSON,
    Object,
    location: { href: 'http://127.0.0.1:4000/graphql' + search, search },
    document: { getElementById: (id: string) => (id === 'ide-config' ? { textContent: JSON.stringify(config) } : {}) },
    graphqlWs: {
      createClient: (options: { url: string; connectionParams: unknown }) => {
        const client = {
          url: options.url,
          connectionParams: options.connectionParams,
          disposed: false,
          iterated: [] as unknown[],
          dispose: () => void (client.disposed = true),
          iterate: (request: unknown) => void client.iterated.push(request),
        };
        harness.clients.push(client);
        return client;
      },
    },
    GraphiQL: Object.assign(() => null, {
      createFetcher: (options: { url: string; headers: unknown }) => (params: unknown, fetchOptions: unknown) => {
        harness.calls.push({ url: options.url, headers: options.headers, params, options: fetchOptions });
        return 'result';
      },
    }),
    React: { createElement: (_component: unknown, props: Record<string, any>) => Object.assign(harness.props, props) },
    ReactDOM: { createRoot: () => ({ render: () => {} }) },
  };
  vm.runInNewContext(IDE_BOOTSTRAP, sandbox);
  return harness;
}

describe('the IDE bootstrap', () => {
  it('should open the examples as tabs, or only the operation the URL preloads', () => {
    expect(runBootstrap().props.defaultTabs).toEqual([{ query: '{ a }', variables: undefined }]);
    expect(runBootstrap('', []).props.defaultTabs).toBeUndefined();

    const preloaded = runBootstrap(`?query=${encodeURIComponent('query Q { b }')}&variables=${encodeURIComponent('{"x":1}')}&operationName=Q`).props;
    expect(preloaded).toMatchObject({ query: 'query Q { b }', operationName: 'Q', defaultTabs: [{ query: 'query Q { b }', variables: '{"x":1}' }] });
  });

  it('should send the pasted token as a header and in connection_init, and drop empty header values', () => {
    const { props, clients, calls } = runBootstrap();

    props.fetcher({ query: 'subscription S { s }' }, { headers: { Authorization: 'Bearer t1', 'X-Empty': '', 'X-Bare': 'Bearer ' } });
    expect(clients).toMatchObject([{ url: 'ws://127.0.0.1:4000/graphql', connectionParams: { authorization: 'Bearer t1' }, disposed: false }]);
    expect(clients[0].iterated).toEqual([{ query: 'subscription S { s }', operationName: 'S' }]);
    props.fetcher({ query: '{ a }' }, { headers: { Authorization: 'Bearer t1', 'X-Empty': '' } });
    expect(calls[0]).toMatchObject({
      url: 'http://127.0.0.1:4000/graphql',
      headers: { Authorization: 'Bearer t1' },
      options: { headers: { Authorization: 'Bearer t1' } },
    });

    props.fetcher({ query: '{ a }' }, { headers: { Authorization: 'Bearer t1' } });
    expect(clients).toHaveLength(1);
    props.fetcher({ query: '{ a }' }, { headers: { Authorization: '' } });
    expect(clients).toHaveLength(2);
    expect(clients[0].disposed).toBe(true);
    expect(clients[1].connectionParams).toEqual({});
    props.fetcher({ query: '{ a }' });
    expect(clients).toHaveLength(2);
  });

  it('should route by the text when GraphiQL still holds the parse of a previous text', () => {
    const { props, calls, clients } = runBootstrap();

    props.fetcher({ query: '# subscription X { x }\nsubscription Stock { s }', operationName: 'OrderHistory' }, {});
    props.fetcher({ query: 'query A { subscription { a } } query B { b(s: "subscription Q {") }', operationName: 'B' }, {});
    props.fetcher({ query: 'query A { a } subscription B { b }', operationName: 'C' }, {});
    props.fetcher({ query: '{ a } fragment F on Q { subscription }' }, {});
    props.fetcher({ query: 'query A { a } subscription B { b }', operationName: 'B' }, {});

    expect(clients[0].iterated.map((r: any) => r.operationName)).toEqual(['Stock', 'B']);
    expect(calls.map((c) => c.params.operationName)).toEqual(['B', 'C', undefined]);
  });
});
