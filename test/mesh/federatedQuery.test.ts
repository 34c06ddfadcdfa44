/**
 * Queries through the gateway that join the four real subgraphs, checked against the seeded story.
 */
import { startTestMesh, type TestMesh } from '../support/startTestMesh.js';

const PRODUCTS_EVERYWHERE = `
  query ProductsEverywhere($range: TimeRangeInput!) {
    products(first: 5) {
      edges {
        node {
          id
          name
          sales(range: $range, granularity: DAY) { total { units revenue } }
          stock { onHand }
          delivery { avgLeadTimeHours onTimeRate }
        }
      }
    }
  }`;

describe('federated queries over the four domain subgraphs', () => {
  let mesh: TestMesh;
  beforeAll(async () => {
    mesh = await startTestMesh();
  });
  afterAll(() => mesh?.close());

  it('should join catalog, orders, inventory and shipping in one query', async () => {
    const { status, body } = await mesh.query(PRODUCTS_EVERYWHERE, { range: mesh.story.range });

    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.products.edges.map((edge: { node: unknown }) => edge.node)).toEqual(
      mesh.story.expected.products.map((p) => ({
        id: p.id,
        name: p.name,
        sales: { total: { units: p.units, revenue: p.revenue } },
        stock: { onHand: p.onHand },
        delivery: { avgLeadTimeHours: p.avgLeadTimeHours, onTimeRate: p.onTimeRate },
      })),
    );
  });

  it.each(['o1', 'o2', 'o3'])('should resolve order %s through orders, catalog and shipping', async (id) => {
    const { status, body } = await mesh.query(`query ($id: ID!) { order(id: $id) { customerEmail product { name } shipment { status carrier } } }`, { id });

    const expected = mesh.story.expected.orders[id];
    expect(status).toBe(200);
    expect(body).toEqual({
      extensions: { dataProducts: expect.any(Array) },
      data: { order: { customerEmail: expected.customerEmail, product: { name: expected.productName }, shipment: expected.shipment } },
    });
  });

  it('should answer null for an unknown order without asking other subgraphs for its fields', async () => {
    const { body } = await mesh.query(`{ order(id: "nope") { customerEmail product { name } shipment { status } } }`);

    expect(body).toEqual({ extensions: { dataProducts: expect.any(Array) }, data: { order: null } });
  });

  it('should fill the product of each orderHistory group from the catalog', async () => {
    const { status, body } = await mesh.query(
      `query ($range: TimeRangeInput!) {
        orderHistory(range: $range, granularity: DAY, groupBy: [PRODUCT]) { groups { key { product { name } } total { units } } }
      }`,
      { range: mesh.story.range },
    );

    expect(status).toBe(200);
    expect(body).toEqual({
      extensions: { dataProducts: expect.any(Array) },
      data: {
        orderHistory: {
          groups: [
            { key: { product: { name: 'Kettle' } }, total: { units: 3 } },
            { key: { product: { name: 'Toaster' } }, total: { units: 4 } },
          ],
        },
      },
    });
  });

  // GraphQL over HTTP: 200 for a request error when the client speaks application/json (the default
  // without an Accept header); 400 with application/graphql-response+json (test/observability/httpConventions.test.ts).
  it('should refuse a query that does not validate with GRAPHQL_VALIDATION_FAILED (200 for application/json)', async () => {
    const { status, body } = await mesh.query(`{ products(first: 1) { edges { node { name priceInDollars } } } }`);

    expect(status).toBe(200);
    expect(body).toEqual({
      errors: [
        {
          message: 'Cannot query field "priceInDollars" on type "Product".',
          locations: [{ line: 1, column: 44 }],
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ],
    });
  });

  it('should refuse a body that is not JSON with 400 and a GraphQL error saying so', async () => {
    const response = await fetch(mesh.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "{ products { edges { node { id } } } }"',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      errors: [{ message: expect.stringMatching(/^the request body is not valid JSON: /), extensions: { code: 'BAD_REQUEST' } }],
    });
  });
});
