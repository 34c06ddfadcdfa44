/**
 * Error hygiene of the gateway in front of subgraphs that leak (a foreign subgraph's Apollo Server with
 * stack traces on, one answering an HTML 500, one down): clients see `code` and `serviceName`, never a
 * stack, an internal address or HTML; every route answers JSON; the catalog shows public ports only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import express from 'express';
import { parse } from 'graphql';
import { startGateway, type RunningGateway } from '../../gateway/index.js';
import { testGatewayConfig } from '../support/testGatewayConfig.js';
import { expectNoLeak, expectPublicError, fetchAnswer } from './expectPublicError.js';

const json = { 'content-type': 'application/json' };
const SECRET = 'open(/srv/leaky/secrets/key.pem) failed talking to 10.1.2.3:5432 via http://db.internal:8080/x';

interface LeakySubgraph {
  url: string;
  /** `html`: answers every operation but the SDL query with an HTML 500 page naming an internal host. */
  mode: 'graphql' | 'html';
  close(): Promise<void>;
}

/** A subgraph as a careless team would run it: stack traces on, an absolute-path descriptor, internal URLs. */
async function startLeakySubgraph(name: string, typeDefs: string, resolvers: Record<string, unknown>): Promise<LeakySubgraph> {
  const schema = buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers: resolvers as never });
  const apollo = new ApolloServer({ schema, includeStacktraceInErrorResponses: true });
  await apollo.start();
  const app = express();
  const server = http.createServer(app);
  const state: LeakySubgraph = { url: '', mode: 'graphql', close: async () => {} };
  app.get(
    '/descriptor',
    (_req, res) =>
      void res.json({
        id: `${name}.product`,
        name,
        domain: name,
        version: '1.0.0',
        status: 'active',
        description: { purpose: 'leaks' },
        owner: { team: 'careless', contact: 'careless@example.com' },
        slos: { freshnessSeconds: 60, availability: 0.9, retentionDays: 1 },
        outputPorts: [
          { kind: 'graphql-query', url: state.url, fields: ['leak'] },
          { kind: 'graphql-subscription', url: state.url.replace(/^http/, 'ws'), fields: ['ticks'] },
          { kind: 'file', format: 'csv', path: `/srv/exports/${name}/sales_hour.csv` },
          { kind: 'file', format: 'parquet', path: `${name}/sales_hour.parquet` },
          { kind: 'event-subject', subject: `mesh.${name}.v1.sales.bucket-updated.>` },
          { kind: 'dashboard', url: 'http://grafana.internal:3000/d/1' },
        ],
        asOf: null,
        freshness: { lagSeconds: null, withinSlo: false },
        factCount: 0,
        factTypes: [],
      }),
  );
  app.use(
    '/graphql',
    express.json(),
    (req, res, next) => {
      if (state.mode === 'html' && !String(req.body?.query).includes('_service')) {
        return void res.status(500).type('html').send(`<html><body><pre>Error at /srv/${name}/server.js:10 on 10.1.2.3:4002</pre></body></html>`);
      }
      next();
    },
    expressMiddleware(apollo),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  let closed: Promise<void> | undefined;
  state.close = () => (closed ??= apollo.stop().then(() => new Promise<void>((resolve) => server.close(() => resolve()))));
  return state;
}

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])';

describe('gateway error hygiene', () => {
  let leaky: LeakySubgraph;
  let flaky: LeakySubgraph;
  let gateway: RunningGateway;
  const logged: string[] = [];
  const query = (body: unknown) => fetchAnswer(gateway.url, { method: 'POST', headers: json, body: JSON.stringify(body) });

  beforeAll(async () => {
    leaky = await startLeakySubgraph('leaky', `${LINK} type Query { leak: String }`, {
      Query: {
        leak: () => {
          throw new Error(SECRET);
        },
      },
    });
    flaky = await startLeakySubgraph('flaky', `${LINK} type Query { flake: String }`, { Query: { flake: () => 'ok' } });
    gateway = await startGateway({
      config: testGatewayConfig(
        [
          { name: 'leaky', url: leaky.url },
          { name: 'flaky', url: flaky.url },
        ],
        { introspection: false, publicUrl: 'https://mesh.example.com' },
      ),
      log: (level, message) => void logged.push(`${level}: ${message}`),
    });
    for (let i = 0; i < 100 && !gateway.supergraphSdl(); i++) await new Promise((resolve) => setImmediate(resolve));
    // The first query waits for the supergraph to be served.
    const { status } = await query({ query: '{ flake }' });
    if (status !== 200) throw new Error(`the gateway did not start serving (${status})`);
  });
  afterAll(async () => {
    await gateway?.close();
    await leaky?.close();
    await flaky?.close();
  });

  it('should forward a subgraph error with its code and serviceName, without its stack or internal detail', async () => {
    const answer = await query({ query: '{ leak }' });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toHaveLength(1);
    const [error] = answer.body.errors;
    expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', serviceName: 'leaky' });
    expect(error.path).toEqual(['leak']);
    expect(error.message).not.toMatch(/\/srv|10\.1\.2\.3|db\.internal/);
    expectNoLeak(answer.text);
    expect(logged.some((line) => line.includes('10.1.2.3:5432'))).toBe(true);
  });

  it('should say a subgraph answering HTML failed, without its page or address', async () => {
    flaky.mode = 'html';
    try {
      const answer = await query({ query: '{ flake }' });
      expect(answer.body.errors).toEqual([
        { message: 'Subgraph "flaky" failed to answer (HTTP 500).', path: ['flake'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'flaky' } },
      ]);
      expectNoLeak(answer.text);
    } finally {
      flaky.mode = 'graphql';
    }
  });

  it('should say a subgraph is unreachable without naming its address', async () => {
    const ports = await fetchAnswer(`${gateway.url.replace(/\/graphql$/, '')}/catalog.json`);
    expect(ports.status).toBe(200);
    await flaky.close();
    const answer = await query({ query: '{ flake }' });
    expect(answer.body.errors).toEqual([
      { message: 'Subgraph "flaky" is unreachable.', path: ['flake'], extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'flaky' } },
    ]);
    expectNoLeak(answer.text);
  });

  it('should answer every route with JSON errors, never HTML', async () => {
    const base = gateway.url.replace(/\/graphql$/, '');
    expectPublicError(await fetchAnswer(`${base}/nope`), 404, 'NOT_FOUND');
    expectPublicError(await fetchAnswer(gateway.url, { method: 'POST', headers: json, body: '{"query": ' }), 400, 'BAD_REQUEST');
    const large = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(1_100_000) } });
    expectPublicError(await fetchAnswer(gateway.url, { method: 'POST', headers: json, body: large }), 413, 'PAYLOAD_TOO_LARGE');
    expectPublicError(
      await fetchAnswer(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json; charset=latin1' }, body: '{}' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('should list output ports a consumer can use: the public gateway URLs and relative file names', async () => {
    const answer = await query({ query: '{ dataProduct(id: "leaky.product") { outputPorts { kind url path subject } } }' });
    expect(answer.body.data.dataProduct.outputPorts).toEqual([
      { kind: 'graphql-query', url: 'https://mesh.example.com/graphql', path: null, subject: null },
      { kind: 'graphql-subscription', url: 'wss://mesh.example.com/graphql', path: null, subject: null },
      { kind: 'file', url: null, path: 'sales_hour.csv', subject: null },
      { kind: 'file', url: 'https://mesh.example.com/files/leaky/sales_hour.parquet', path: 'leaky/sales_hour.parquet', subject: null },
      { kind: 'event-subject', url: null, path: null, subject: 'mesh.leaky.v1.sales.bucket-updated.>' },
      { kind: 'dashboard', url: null, path: null, subject: null },
      // The gateway's own contract documents; a descriptor without classification (an older kit) is all public.
      { kind: 'contract', url: 'https://mesh.example.com/catalog/leaky.product/contract.yaml', path: null, subject: null },
      { kind: 'contract', url: 'https://mesh.example.com/catalog/leaky.product/asyncapi.yaml', path: null, subject: null },
    ]);
    expectNoLeak(answer.text);
    const page = await fetchAnswer(`${gateway.url.replace(/\/graphql$/, '')}/catalog.json`);
    expectNoLeak(page.text);
    for (const document of ['contract.yaml', 'asyncapi.yaml'])
      expectNoLeak((await fetchAnswer(`${gateway.url.replace(/\/graphql$/, '')}/catalog/leaky.product/${document}`)).text);
  });
});
