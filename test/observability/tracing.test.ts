/**
 * OpenTelemetry traces across the mesh: one trace from the gateway's HTTP request through
 * @apollo/gateway's fetch and the mesh's subgraph client span, over the wire (`traceparent`), to the
 * subgraph's server span and its store calls. Spans are read from an in-memory exporter.
 */
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { startTracing, type Tracing } from '../../core/observability/startTracing.js';
import { startObservedMesh, type ObservedMesh } from './observedMesh.js';

describe('traces from the gateway to the subgraphs', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let mesh: ObservedMesh;
  beforeAll(async () => {
    tracing = startTracing({ serviceName: 'mesh-test', exporter });
    mesh = await startObservedMesh();
  });
  afterAll(async () => {
    await mesh?.close();
    await tracing?.shutdown();
  });

  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const idOf = (span: ReadableSpan) => span.spanContext().spanId;
  const traceOf = (span: ReadableSpan) => span.spanContext().traceId;

  it('should link the gateway request, the subgraph fetch, the subgraph request and its store calls in one trace', async () => {
    exporter.reset();
    const response = await fetch(mesh.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query Traced { products(first: 1) { edges { node { id } } } }' }),
    });
    expect(response.status).toBe(200);
    // Server spans end when their response is written: read through the body before looking.
    await response.text();
    const spans = exporter.getFinishedSpans();

    const gatewayRequest = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /graphql' && !parentOf(s));
    expect(gatewayRequest).toBeDefined();
    const fetchSpan = spans.find((s) => s.kind === SpanKind.CLIENT && s.name === 'subgraph catalog');
    expect(fetchSpan).toBeDefined();
    expect(traceOf(fetchSpan!)).toBe(traceOf(gatewayRequest!));
    // The client span sits under @apollo/gateway's own spans, which sit under the request span.
    const ancestors = (span: ReadableSpan): string[] => {
      const parent = spans.find((s) => idOf(s) === parentOf(span));
      return parent ? [parent.name, ...ancestors(parent)] : [];
    };
    expect(ancestors(fetchSpan!)).toEqual(expect.arrayContaining(['gateway.fetch', 'gateway.request', 'POST /graphql']));

    const subgraphRequest = spans.find((s) => s.kind === SpanKind.SERVER && parentOf(s) === idOf(fetchSpan!));
    expect(subgraphRequest).toBeDefined();
    expect(subgraphRequest!.name).toBe('POST /graphql');
    expect(traceOf(subgraphRequest!)).toBe(traceOf(gatewayRequest!));

    const storeCalls = spans.filter((s) => s.name.startsWith('store.') && traceOf(s) === traceOf(gatewayRequest!));
    expect(storeCalls.length).toBeGreaterThan(0);
    for (const call of storeCalls) expect(ancestors(call)).toContain('subgraph catalog');
  });

  it('should trace a fact from the subgraph request to the store write and the bus publish', async () => {
    exporter.reset();
    const id = `traced-${Date.now()}`;
    const response = await fetch(mesh.subgraphs.orders.served.url.replace(/graphql$/, 'events'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      body: JSON.stringify({
        specversion: '1.0',
        id,
        source: 'urn:test:tracing',
        type: 'OrderPlaced',
        time: new Date(Date.now() - 60_000).toISOString(),
        data: { orderId: id, productId: 'p1', quantity: 1, unitPrice: 10, region: 'eu', channel: 'web', customerEmail: 't@example.com' },
      }),
    });
    expect(response.status).toBe(200);
    const spans = exporter.getFinishedSpans().filter((s) => traceOf(s) === '0af7651916cd43dd8448eb211c80319c');
    const request = spans.find((s) => s.name === 'POST /events');
    expect(request && parentOf(request)).toBe('b7ad6b7169203331');
    const names = spans.filter((s) => parentOf(s) === idOf(request!)).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['store.watermark', 'store.apply', 'bus.publish']));
  });
});
