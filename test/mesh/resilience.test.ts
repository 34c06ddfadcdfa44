/**
 * The gateway when a subgraph goes away and comes back: partial answers with errors naming the subgraph,
 * liveness and readiness probes, and queries over the websocket.
 */
import { DOMAIN_NAMES } from '../../subgraphs/domains.js';
import { startTestMesh, type TestMesh } from '../support/startTestMesh.js';
import { asJson, record, trackedClient, waitUntil, type TrackedClient } from './meshClients.js';

const PRODUCTS_EVERYWHERE = `
  query ($range: TimeRangeInput!) {
    products(first: 5) {
      edges {
        node {
          name
          sales(range: $range, granularity: DAY) { total { units } }
          stock { onHand }
          delivery { avgLeadTimeHours onTimeRate }
        }
      }
    }
  }`;

describe('gateway resilience', () => {
  let mesh: TestMesh;
  let ws: TrackedClient | undefined;

  beforeAll(async () => {
    mesh = await startTestMesh();
  });
  afterEach(async () => {
    await ws?.client.dispose();
    ws = undefined;
  });
  afterAll(() => mesh?.close());

  const probe = async (name: 'health' | 'ready') => {
    const response = await fetch(mesh.gateway.url.replace(/\/graphql$/, `/${name}`));
    return { status: response.status, body: (await response.json()) as any };
  };
  const expectedNodes = (delivery: (p: TestMesh['story']['expected']['products'][number]) => unknown) =>
    mesh.story.expected.products.map((p) => ({
      node: { name: p.name, sales: { total: { units: p.units } }, stock: { onHand: p.onHand }, delivery: delivery(p) },
    }));

  it('should be live and ready while every subgraph answers', async () => {
    expect(await probe('health')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await probe('ready')).toEqual({ status: 200, body: { status: 'ready', subgraphs: DOMAIN_NAMES.length } });
  });

  it('should answer a query sent over the websocket', async () => {
    ws = trackedClient(mesh.gateway.wsUrl);
    const result = record(ws.client, { query: `{ products(first: 2) { edges { node { name stock { onHand } } } } }` });

    expect(asJson(await result.next('the query result'))).toEqual({
      extensions: { dataProducts: expect.any(Array) },
      data: { products: { edges: [{ node: { name: 'Kettle', stock: { onHand: 13 } } }, { node: { name: 'Toaster', stock: { onHand: 7 } } }] } },
    });
    expect(await result.ended).toEqual({});
  });

  it('should answer partially while shipping is down, report it in /ready, and recover when it is back', async () => {
    await mesh.stop('shipping');

    const { status, body } = await mesh.query(PRODUCTS_EVERYWHERE, { range: mesh.story.range });
    expect(status).toBe(200);
    expect(body.data.products.edges).toEqual(expectedNodes(() => null));
    expect(body.errors).toEqual(
      [0, 1, 2].map((i) => ({
        message: 'Subgraph "shipping" is unreachable.', // the address and ECONNREFUSED go to the log only
        path: ['products', 'edges', i, 'node', 'delivery'],
        extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: 'shipping' },
      })),
    );

    // Other queries are not affected...
    const catalogOnly = await mesh.query(`{ categories }`);
    expect(catalogOnly).toEqual({ status: 200, body: { extensions: { dataProducts: expect.any(Array) }, data: { categories: ['home', 'kitchen'] } } });
    // ...nor is the websocket path, which carries the same partial answer.
    ws = trackedClient(mesh.gateway.wsUrl);
    const overWs = record(ws.client, { query: PRODUCTS_EVERYWHERE, variables: { range: mesh.story.range } });
    const wsResult = asJson(await overWs.next('the partial result over the websocket'));
    expect(wsResult.data).toEqual(body.data);
    expect(wsResult.errors).toEqual(body.errors);
    expect(await overWs.ended).toEqual({});

    expect(await probe('health')).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await probe('ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'degraded', problems: [expect.stringMatching(/^shipping: unreachable at http:\/\/127\.0\.0\.1:\d+\/graphql/)] });

    await mesh.restart('shipping');
    await waitUntil(async () => (await probe('ready')).status === 200, '/ready to answer 200 again');
    expect(await probe('health')).toEqual({ status: 200, body: { status: 'ok' } });
    const recovered = await mesh.query(PRODUCTS_EVERYWHERE, { range: mesh.story.range });
    expect(recovered).toEqual({
      status: 200,
      body: {
        extensions: { dataProducts: expect.any(Array) },
        data: { products: { edges: expectedNodes((p) => ({ avgLeadTimeHours: p.avgLeadTimeHours, onTimeRate: p.onTimeRate })) } },
      },
    });
  });
});
