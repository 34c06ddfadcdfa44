/**
 * `/metrics` on the gateway and on every subgraph, read after a scripted workload: the counters move by
 * exactly what the workload did (deltas, so the seeding before does not matter).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { nextValue, waitFor } from '../support/asyncWait.js';
import { seriesValue, startObservedMesh, type ObservedMesh } from './observedMesh.js';

const N_QUERIES = 5;
const PRODUCTS = 'query ObsProducts { products(first: 2) { edges { node { id name } } } }';

describe('/metrics after a scripted workload', () => {
  let mesh: ObservedMesh;
  beforeAll(async () => {
    mesh = await startObservedMesh();
  });
  afterAll(() => mesh?.close());

  const scrape = async (base: string) => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    return response.text();
  };
  const gatewayMetrics = () => scrape(mesh.base);
  const ordersBase = () => mesh.subgraphs.orders.served.url.replace(/\/graphql$/, '');
  /** Posts one `OrderPlaced` fact for product p2 straight to the orders subgraph. */
  const placeOrder = (id: string, customerEmail: string) =>
    fetch(`${ordersBase()}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        specversion: '1.0',
        id,
        source: 'urn:test:metrics',
        type: 'OrderPlaced',
        time: new Date(Date.now() - 60_000).toISOString(),
        data: { orderId: id, productId: 'p2', quantity: 1, unitPrice: 10, region: 'eu', channel: 'web', customerEmail },
      }),
    });
  const query = (body: object) => fetch(mesh.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('should count N named queries, their subgraph fetches and errors by code', async () => {
    const before = await gatewayMetrics();
    for (let i = 0; i < N_QUERIES; i += 1) expect((await query({ query: PRODUCTS })).status).toBe(200);
    await query({ query: '{ products { edges { node { nope } } } }' });
    const after = await gatewayMetrics();

    const delta = (name: string, labels: Record<string, string>) => seriesValue(after, name, labels) - seriesValue(before, name, labels);
    expect(delta('mesh_gateway_operation_duration_seconds_count', { operation: 'ObsProducts', type: 'query', outcome: 'ok' })).toBe(N_QUERIES);
    expect(delta('mesh_gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'catalog', outcome: 'ok' })).toBe(N_QUERIES);
    expect(delta('mesh_gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'orders', outcome: 'ok' })).toBe(0);
    expect(delta('mesh_gateway_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    // Every subgraph's breaker reads closed from the start (not only once it first changed state).
    for (const subgraph of ['catalog', 'orders', 'inventory', 'shipping'])
      expect(after).toMatch(new RegExp(`^mesh_gateway_subgraph_breaker_state\\{subgraph="${subgraph}"\\} 0$`, 'm'));
    expect(delta('mesh_gateway_http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status: '200' })).toBe(N_QUERIES + 1);
    // Each subgraph answers the gateway's fetches with its own operation series.
    expect(
      seriesValue(await scrape(mesh.subgraphs.catalog.served.url.replace(/\/graphql$/, '')), 'mesh_subgraph_operation_duration_seconds_count', {
        product: 'catalog',
        operation: 'ObsProducts__catalog__0',
        type: 'query',
        outcome: 'ok',
      }),
    ).toBeGreaterThanOrEqual(N_QUERIES);
  });

  it('should count M facts by outcome and dead letters, and report the lag behind the newest fact', async () => {
    const before = await scrape(ordersBase());
    const at = new Date(Date.now() - 30_000).toISOString();
    const order = (id: string) => ({
      specversion: '1.0',
      id,
      source: 'urn:test:metrics',
      type: 'OrderPlaced',
      time: at,
      data: { orderId: id, productId: 'p1', quantity: 1, unitPrice: 10, region: 'eu', channel: 'web', customerEmail: 'm@example.com' },
    });
    const bad = (id: string) => ({ ...order(id), data: { orderId: id } });
    const response = await fetch(`${ordersBase()}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([order('m1'), order('m2'), order('m3'), order('m1'), bad('m4'), bad('m5')]),
    });
    expect(response.status).toBe(207);
    const after = await scrape(ordersBase());

    const delta = (name: string, labels: Record<string, string>) => seriesValue(after, name, labels) - seriesValue(before, name, labels);
    expect(delta('mesh_data_product_facts_total', { product: 'orders', outcome: 'applied' })).toBe(3);
    expect(delta('mesh_data_product_facts_total', { product: 'orders', outcome: 'duplicate' })).toBe(1);
    expect(delta('mesh_data_product_facts_total', { product: 'orders', outcome: 'rejected' })).toBe(2);
    expect(delta('mesh_data_product_dead_letters_total', { product: 'orders' })).toBe(2);
    expect(delta('mesh_data_product_change_events_total', { product: 'orders', outcome: 'ok' })).toBeGreaterThan(0);
    const lag = seriesValue(after, 'mesh_data_product_lag_seconds', { product: 'orders' });
    expect(lag).toBeGreaterThanOrEqual(29);
    expect(lag).toBeLessThan(120);
    expect(seriesValue(after, 'mesh_data_product_watermark_timestamp_seconds', { product: 'orders' })).toBe(Date.parse(at) / 1000);
  });

  it('should gauge websocket clients and subscriptions, and count delivered events', async () => {
    const before = await gatewayMetrics();
    const client = createClient({ url: mesh.gateway.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const events = client.iterate({ query: 'subscription { orderBucketUpdated(granularity: MINUTE) { bucket { orders } } }' });
    let text = '';
    const refresh = async () => void (text = await gatewayMetrics());
    for (let tries = 0; tries < 100 && seriesValue(text, 'mesh_gateway_subscriptions_active') !== 1; tries += 1) await refresh();
    expect(seriesValue(text, 'mesh_gateway_websocket_clients')).toBe(1);
    expect(seriesValue(text, 'mesh_gateway_subscriptions_active')).toBe(1);
    await waitFor(() => mesh.subgraphs.orders.metrics.openSubscriptions() === 1, 'the upstream subscription');
    expect(seriesValue(await scrape(ordersBase()), 'mesh_data_product_subscriptions', { product: 'orders' })).toBe(1);

    const delayCount = () => seriesValue(ordersText, 'mesh_data_product_change_event_delay_seconds_count', { product: 'orders' });
    let ordersText = await scrape(ordersBase());
    const delaysBefore = delayCount();
    await placeOrder(`ws-${Date.now()}`, 'w@example.com');
    await nextValue(events, 'the bucket event');
    await refresh();
    // The orders subgraph timed the event from its publication to its computed value, once.
    ordersText = await scrape(ordersBase());
    expect(delayCount() - delaysBefore).toBe(1);
    expect(seriesValue(ordersText, 'mesh_data_product_change_event_delay_seconds_sum', { product: 'orders' })).toBeGreaterThan(0);
    expect(
      seriesValue(text, 'mesh_gateway_subscription_events_delivered_total') - seriesValue(before, 'mesh_gateway_subscription_events_delivered_total'),
    ).toBe(1);
    // The gateway timed the event's resolution (rest of plan, auth, encoding) once for its group.
    for (const series of ['mesh_gateway_subscription_event_resolve_seconds_count', 'mesh_gateway_subscription_fanout_seconds_count']) {
      expect(seriesValue(text, series) - (seriesValue(before, series) || 0)).toBe(1);
    }

    await events.return?.();
    await client.dispose();
    for (let tries = 0; tries < 100 && seriesValue(text, 'mesh_gateway_websocket_clients') !== 0; tries += 1) await refresh();
    expect(seriesValue(text, 'mesh_gateway_subscriptions_active')).toBe(0);
    expect(seriesValue(text, 'mesh_gateway_websocket_clients')).toBe(0);
    // The subgraph counts its bus subscription out once the gateway's upstream ends.
    await waitFor(() => mesh.subgraphs.orders.metrics.openSubscriptions() === 0, 'the upstream subscription to end');
    expect(seriesValue(await scrape(ordersBase()), 'mesh_data_product_subscriptions', { product: 'orders' })).toBe(0);
  });

  it('should count a body refused before the GraphQL pipeline (413) by its code, and name the limit', async () => {
    const before = await gatewayMetrics();
    const answer = await fetch(mesh.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename }`, padding: 'x'.repeat(2 * 1024 * 1024) }),
    });
    const after = await gatewayMetrics();

    expect(answer.status).toBe(413);
    expect(((await answer.json()) as { errors: Array<{ extensions: unknown }> }).errors[0].extensions).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      limit: 1024 * 1024,
    });
    expect(
      seriesValue(after, 'mesh_gateway_errors_total', { code: 'PAYLOAD_TOO_LARGE' }) -
        seriesValue(before, 'mesh_gateway_errors_total', { code: 'PAYLOAD_TOO_LARGE' }),
    ).toBe(1);
  });

  // Last: it stops a subgraph.
  it('should count fetches to a stopped subgraph by outcome and the error its clients got', async () => {
    await mesh.subgraphs.shipping.close();
    const before = await gatewayMetrics();
    const range = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() };
    const answer = await query({
      query: 'query Late($r: TimeRangeInput!) { deliveryPerformance(range: $r, granularity: DAY) { __typename } }',
      variables: { r: range },
    });
    expect(((await answer.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('DOWNSTREAM_SERVICE_ERROR');
    const after = await gatewayMetrics();

    const delta = (name: string, labels: Record<string, string>) => seriesValue(after, name, labels) - seriesValue(before, name, labels);
    expect(delta('mesh_gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'shipping', outcome: 'connection_error' })).toBeGreaterThanOrEqual(1);
    expect(delta('mesh_gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'shipping', outcome: 'ok' })).toBe(0);
    expect(delta('mesh_gateway_errors_total', { code: 'DOWNSTREAM_SERVICE_ERROR' })).toBe(1);
    expect(delta('mesh_gateway_operation_duration_seconds_count', { operation: 'Late', type: 'query', outcome: 'error' })).toBe(1);

    // A subscription event whose entity fetch goes to the stopped subgraph: its error counts once per client.
    const client = createClient({ url: mesh.gateway.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0 });
    const events = client.iterate({ query: 'subscription { orderBucketUpdated(granularity: MINUTE) { product { delivery { __typename } } } }' });
    try {
      const first = events.next();
      await waitFor(() => mesh.subgraphs.orders.metrics.openSubscriptions() === 1, 'the upstream subscription');
      const beforeEvent = await gatewayMetrics();
      await placeOrder(`err-${Date.now()}`, 'e@example.com');
      const event = (await first).value as { errors?: Array<{ extensions: { code: string } }> };
      expect(event.errors?.map((e) => e.extensions.code)).toEqual(['DOWNSTREAM_SERVICE_ERROR']);
      const afterEvent = await gatewayMetrics();
      expect(
        seriesValue(afterEvent, 'mesh_gateway_errors_total', { code: 'DOWNSTREAM_SERVICE_ERROR' }) -
          seriesValue(beforeEvent, 'mesh_gateway_errors_total', { code: 'DOWNSTREAM_SERVICE_ERROR' }),
      ).toBe(1);
    } finally {
      await events.return?.();
      await client.dispose();
    }
  });
});
