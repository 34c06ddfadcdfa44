import { readFileSync } from 'node:fs';
import { Kind, parse, type FieldDefinitionNode } from 'graphql';
import type { DomainName } from '../../subgraphs/domains.js';
import { nextValue } from '../support/asyncWait.js';
import { exportRollups } from '../../subgraphs/kit/exports/exportRollups.js';
import { startTestSubgraph, type GraphQLResponse, type TestSubgraph } from '../support/startTestSubgraph.js';
import { orderPlaced, priceChanged, productListed, shipmentDispatched, stockAdjusted, type CloudEventJson } from './cloudEvents.js';

async function post(subgraph: TestSubgraph, events: unknown) {
  const { status, body } = await subgraph.postEvents(events);
  expect([status, body.rejected]).toEqual([200, 0]);
}

describe('catalog products', () => {
  const PAGE = /* GraphQL */ `
    query Page($first: Int, $after: String, $category: String) {
      products(first: $first, after: $after, category: $category) {
        edges {
          cursor
          node {
            id
            category
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  `;
  const ids = Array.from({ length: 25 }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
  const categoryOf = (i: number) => (i % 2 === 0 ? 'kitchen' : 'garden');
  let catalog: TestSubgraph;
  beforeEach(async () => {
    catalog = await startTestSubgraph('catalog');
    // Listed out of id order, so the order of the pages is the store's, not the arrival's.
    const listed = ids.map((id, i) => productListed('2025-04-01T00:00:00Z', { productId: id, name: `Product ${id}`, category: categoryOf(i), price: 5 + i }));
    await post(catalog, [...listed].reverse());
  });
  afterEach(() => catalog?.close());

  /** Walks every page of `first` products and returns the pages. */
  async function allPages(variables: { first: number; category?: string }) {
    const pages: Array<{ ids: string[]; hasNextPage: boolean; endCursor: string | null; lastEdgeCursor: string | undefined }> = [];
    let after: string | null = null;
    do {
      const { data, errors }: GraphQLResponse = await catalog.graphql(PAGE, { ...variables, after });
      expect(errors).toBeUndefined();
      const { edges, pageInfo }: { edges: Array<{ cursor: string; node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } =
        data.products;
      pages.push({ ids: edges.map((e) => e.node.id), ...pageInfo, lastEdgeCursor: edges.at(-1)?.cursor });
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    } while (after !== null && pages.length < 10);
    return pages;
  }

  it('should page through 25 products in pages of 10, 10 and 5, ordered by id', async () => {
    const pages = await allPages({ first: 10 });

    expect(pages.map((p) => p.ids)).toEqual([ids.slice(0, 10), ids.slice(10, 20), ids.slice(20)]);
    expect(pages.map((p) => p.hasNextPage)).toEqual([true, true, false]);
    for (const page of pages) expect(page.endCursor).toBe(page.lastEdgeCursor);
  });

  it('should answer an empty page after the last cursor', async () => {
    const { data } = await catalog.graphql(PAGE, { first: 25 });
    const last = await catalog.graphql(PAGE, { first: 10, after: data.products.pageInfo.endCursor });

    expect(data.products.pageInfo.hasNextPage).toBe(false);
    expect(last.data.products).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('should page through one category only', async () => {
    const pages = await allPages({ first: 10, category: 'kitchen' });

    const kitchen = ids.filter((_, i) => categoryOf(i) === 'kitchen');
    expect(kitchen).toHaveLength(13);
    expect(pages.map((p) => p.ids)).toEqual([kitchen.slice(0, 10), kitchen.slice(10)]);
    expect(pages.map((p) => p.hasNextPage)).toEqual([true, false]);
  });

  it('should refuse a cursor it did not issue with BAD_USER_INPUT', async () => {
    const { data, errors } = await catalog.graphql(PAGE, { first: 10, after: 'not-a-cursor' });

    expect(data).toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    expect(errors![0].message).toMatch(/not-a-cursor/);
  });

  it('should answer product(id) and reflect a price change, null for an unknown id', async () => {
    const PRODUCT = `query($id: ID!) { product(id: $id) { id name category price updatedAt } }`;
    const before = await catalog.graphql(PRODUCT, { id: 'p03' });

    await post(catalog, priceChanged('2025-04-02T09:30:00Z', 'p03', 19.99));
    const after = await catalog.graphql(PRODUCT, { id: 'p03' });
    const unknown = await catalog.graphql(PRODUCT, { id: 'p99' });

    expect(before.data.product).toEqual({ id: 'p03', name: 'Product p03', category: 'kitchen', price: 7, updatedAt: '2025-04-01T00:00:00.000Z' });
    expect(after.data.product).toEqual({ id: 'p03', name: 'Product p03', category: 'kitchen', price: 19.99, updatedAt: '2025-04-02T09:30:00.000Z' });
    expect(unknown).toMatchObject({ data: { product: null } });
    expect(unknown.errors).toBeUndefined();
  });
});

interface DomainCase {
  domain: DomainName;
  id: string;
  team: string;
  freshnessSeconds: number;
  queryFields: string[];
  subscriptionFields: string[];
  subjects: string[];
  factTypes: string[];
  fact: (time: Date) => CloudEventJson;
}

const DOMAIN_CASES: DomainCase[] = [
  {
    domain: 'catalog',
    id: 'catalog.products',
    team: 'Catalog',
    freshnessSeconds: 86_400,
    queryFields: ['products', 'product', 'categories'],
    subscriptionFields: [],
    subjects: ['mesh.catalog.v1.price_changes.bucket-updated', 'mesh.catalog.v1.product.state-changed'],
    factTypes: ['ProductListed', 'ProductPriceChanged'],
    fact: (time) => productListed(time, { productId: 'p1', name: 'Kettle', category: 'kitchen', price: 30 }),
  },
  {
    domain: 'orders',
    id: 'orders.sales',
    team: 'Order Management',
    freshnessSeconds: 60,
    queryFields: ['orderHistory', 'order'],
    subscriptionFields: ['orderBucketUpdated'],
    subjects: ['mesh.orders.v1.sales.bucket-updated.*', 'mesh.orders.v1.order.state-changed'],
    factTypes: ['OrderPlaced', 'OrderCancelled'],
    fact: (time) => orderPlaced(time),
  },
  {
    domain: 'inventory',
    id: 'inventory.stock',
    team: 'Warehouse Operations',
    freshnessSeconds: 120,
    queryFields: ['lowStock', 'inventoryHistory'],
    subscriptionFields: ['stockChanged', 'stockLow'],
    subjects: ['mesh.inventory.v1.movements.bucket-updated', 'mesh.inventory.v1.stock.state-changed'],
    factTypes: ['StockAdjusted', 'StockCounted'],
    fact: (time) => stockAdjusted(time, 'p1', 3),
  },
  {
    domain: 'shipping',
    id: 'shipping.deliveries',
    team: 'Logistics',
    freshnessSeconds: 300,
    queryFields: ['deliveryPerformance'],
    subscriptionFields: ['shipmentUpdated'],
    subjects: ['mesh.shipping.v1.deliveries.bucket-updated', 'mesh.shipping.v1.shipment.state-changed'],
    factTypes: ['ShipmentDispatched', 'ShipmentDelivered'],
    fact: (time) =>
      shipmentDispatched(time, { shipmentId: 's1', orderId: 'o1', productId: 'p1', carrier: 'DHL', region: 'eu', promisedAt: '2030-01-01T00:00:00Z' }),
  },
];

describe.each(DOMAIN_CASES)('GET /descriptor of $domain', (domainCase) => {
  let subgraph: TestSubgraph;
  beforeEach(async () => {
    subgraph = await startTestSubgraph(domainCase.domain);
  });
  afterEach(() => subgraph?.close());

  const descriptor = async () => {
    const response = await fetch(`${subgraph.base}/descriptor`);
    expect(response.status).toBe(200);
    return (await response.json()) as any;
  };

  it('should describe identity, owner, SLOs and the output ports where this subgraph listens', async () => {
    // File ports are advertised once their files exist.
    expect((await exportRollups(subgraph.runtime, subgraph.exportDir)).problems).toEqual([]);
    const served = await descriptor();

    expect(served).toMatchObject({
      id: domainCase.id,
      domain: domainCase.domain,
      status: 'active',
      owner: { team: domainCase.team, contact: expect.stringMatching(/@example\.com$/) },
    });
    expect(served.slos).toMatchObject({ freshnessSeconds: domainCase.freshnessSeconds, availability: expect.any(Number), retentionDays: expect.any(Number) });
    expect(served.factTypes).toEqual(domainCase.factTypes);
    const ports = served.outputPorts;
    expect(ports).toContainEqual({ kind: 'graphql-query', url: subgraph.url, fields: domainCase.queryFields });
    const subscriptions = ports.filter((p: { kind: string }) => p.kind === 'graphql-subscription');
    expect(subscriptions).toEqual(
      domainCase.subscriptionFields.length ? [{ kind: 'graphql-subscription', url: subgraph.wsUrl, fields: domainCase.subscriptionFields }] : [],
    );
    expect(ports.filter((p: { kind: string }) => p.kind === 'event-subject').map((p: { subject: string }) => p.subject)).toEqual(domainCase.subjects);
    const files = ports.filter((p: { kind: string }) => p.kind === 'file').map((p: { path: string }) => p.path);
    expect(files).toHaveLength(2);
    // Relative to the export folder, never a server path.
    for (const file of files) expect(file).toMatch(new RegExp(`^${domainCase.domain}/[a-z_]+\\.(parquet|csv)$`));
  });

  it('should advertise event subjects that the change events of a posted fact are published on', async () => {
    const subjects: string[] = (await descriptor()).outputPorts
      .filter((p: { kind: string }) => p.kind === 'event-subject')
      .map((p: { subject: string }) => p.subject);
    const streams = subjects.map((subject) => subgraph.runtime.bus.subscribe(subject));

    await post(subgraph, domainCase.fact(new Date(Date.now() - 60_000)));

    for (const [i, stream] of streams.entries()) {
      const message = await nextValue(stream, `a change event on ${subjects[i]}`);
      expect(message.subject.startsWith(subjects[i].replace(/\.\*$/, '.'))).toBe(true);
      await stream.return?.();
    }
  });

  it('should report no facts and no freshness before the first fact', async () => {
    expect(await descriptor()).toMatchObject({ factCount: 0, asOf: null, freshness: { lagSeconds: null, withinSlo: false } });
  });

  it('should report factCount, asOf and freshness from the posted facts', async () => {
    const stale = new Date(Date.now() - 2 * 86_400_000);
    await post(subgraph, domainCase.fact(stale));
    const afterStale = await descriptor();
    const fresh = new Date(Date.now() - 5_000);
    await post(subgraph, domainCase.fact(fresh));
    const afterFresh = await descriptor();

    expect(afterStale).toMatchObject({ factCount: 1, asOf: stale.toISOString(), freshness: { withinSlo: false } });
    expect(afterStale.freshness.lagSeconds).toBeGreaterThanOrEqual(2 * 86_400);
    expect(afterFresh).toMatchObject({ factCount: 2, asOf: fresh.toISOString(), freshness: { withinSlo: true } });
    expect(afterFresh.freshness.lagSeconds).toBeGreaterThanOrEqual(5);
    expect(afterFresh.freshness.lagSeconds).toBeLessThan(domainCase.freshnessSeconds);
  });
});

describe('orders descriptor classification', () => {
  let orders: TestSubgraph;
  beforeEach(async () => {
    orders = await startTestSubgraph('orders');
  });
  afterEach(() => orders?.close());

  it('should classify revenue as confidential and the customer email as pii, each guarded by a scope in the SDL', async () => {
    const served = (await (await fetch(`${orders.base}/descriptor`)).json()) as {
      classification: Record<string, string>;
      access: Record<string, { authenticated: boolean; scopes: string[][][] }>;
    };

    expect(served.classification).toMatchObject({
      'OrderBucket.revenue': 'confidential',
      'OrderTotals.revenue': 'confidential',
      'SalesBucket.revenue': 'confidential',
      'Order.customerEmail': 'pii',
    });
    const sdl = parse(readFileSync('schema/orders.graphql', 'utf8'));
    const fields = new Map<string, FieldDefinitionNode>();
    for (const definition of sdl.definitions) {
      if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
      for (const field of definition.fields ?? []) fields.set(`${definition.name.value}.${field.name.value}`, field);
    }
    for (const [coordinate, level] of Object.entries(served.classification)) {
      const scopes = fields.get(coordinate)?.directives?.find((d) => d.name.value === 'requiresScopes');
      expect([coordinate, scopes ? 'guarded' : 'unguarded']).toEqual([coordinate, 'guarded']);
      expect(JSON.stringify(scopes?.arguments)).toContain(level === 'pii' ? 'pii:read' : 'finance:read');
      // The access requirement served beside it is the same directive, read by the kit.
      expect([coordinate, served.access[coordinate]?.scopes]).toEqual([coordinate, [[[level === 'pii' ? 'pii:read' : 'finance:read']]]]);
    }
    // Exactly the fields the SDL classifies: the descriptor adds none and drops none.
    const classifiedInSdl = [...fields].filter(([, f]) => f.directives?.some((d) => d.name.value === 'classification')).map(([c]) => c);
    expect(Object.keys(served.classification).sort()).toEqual(classifiedInSdl.sort());
    expect(served.access['Query.orderHistory']).toEqual({ authenticated: true, scopes: [], policies: [] });
  });
});
