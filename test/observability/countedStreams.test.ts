/** Counting: subscriptions at the gateway, store and bus calls in a subgraph. */
import { createGatewayMetrics } from '../../gateway/observability/createGatewayMetrics.js';
import { createProductMetrics } from '../../subgraphs/kit/observability/createProductMetrics.js';
import { watched } from '../../subgraphs/kit/observability/observedStore.js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { meshTracer, startTracing } from '../../core/observability/startTracing.js';
import { seriesValue } from './observedMesh.js';

describe('gateway subscription gauges', () => {
  it('should read client and upstream subscriptions at each scrape, 0 before there is an executor', async () => {
    const metrics = createGatewayMetrics({ processMetrics: false });
    let stats: { clients: number; upstreams: number } | null = null;
    metrics.watchSubscriptions(() => stats);
    const read = async () => {
      const text = await metrics.registry.metrics();
      return [seriesValue(text, 'mesh_gateway_subscriptions_active'), seriesValue(text, 'mesh_gateway_upstream_subscriptions')];
    };
    expect(await read()).toEqual([0, 0]);
    stats = { clients: 5, upstreams: 1 };
    expect(await read()).toEqual([5, 1]);
  });
});

describe('watched', () => {
  it('should report async calls with their outcome, pass sync results and other properties through', async () => {
    const calls: Array<[string, string]> = [];
    const target = {
      label: 'store',
      sync: () => 42,
      ok: async (n: number) => n * 2,
      fail: async () => Promise.reject(new Error('down')),
    };
    const proxy = watched(target, 'store', (method, _seconds, outcome) => void calls.push([method, outcome]));
    expect(proxy.label).toBe('store');
    expect(proxy.sync()).toBe(42);
    expect(await proxy.ok(2)).toBe(4);
    await expect(proxy.fail()).rejects.toThrow('down');
    expect(calls).toEqual([
      ['ok', 'ok'],
      ['fail', 'error'],
    ]);
  });

  it('should not let a throwing watcher fail the call, and should span calls made inside a traced request', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'watched-test', exporter });
    try {
      const proxy = watched({ ok: async () => 'fine', sync: () => 1 }, 'bus', () => {
        throw new Error('metrics broke');
      });
      await meshTracer().startActiveSpan('request', async (span) => {
        expect(await proxy.ok()).toBe('fine');
        expect(proxy.sync()).toBe(1);
        span.end();
      });
      const spans = exporter.getFinishedSpans();
      const request = spans.find((s) => s.name === 'request')!;
      expect(spans.filter((s) => s.parentSpanContext?.spanId === request.spanContext().spanId).map((s) => s.name)).toEqual(['bus.ok', 'bus.sync']);
    } finally {
      await tracing.shutdown();
    }
  });
});

describe('createProductMetrics freshness', () => {
  it('should leave the lag absent before the first fact and when the store does not answer', async () => {
    for (const read of [async () => null, async () => Promise.reject(new Error('store down'))]) {
      const metrics = createProductMetrics({ domain: 'orders', processMetrics: false });
      metrics.watchFreshness(read);
      expect(await metrics.registry.metrics()).not.toMatch(/^mesh_data_product_lag_seconds\{/m);
    }
  });
});

describe('startTracing with an OTLP endpoint', () => {
  it('should register and shut down cleanly with nothing to export', async () => {
    const tracing = startTracing({ serviceName: 'otlp-test', exporter: { otlpEndpoint: 'http://127.0.0.1:4318/' } });
    expect(meshTracer().startSpan('probe').spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    await tracing.shutdown();
  });
});

describe('createGatewayMetrics', () => {
  it('should count dropped events by reason and bound operation names', async () => {
    const metrics = createGatewayMetrics({ processMetrics: false, maxOperationNames: 1 });
    metrics.subscriptionDropped('slow-consumer', 2);
    metrics.subscriptionDropped('auth-expired');
    metrics.operationAnswered({ name: 'First', type: 'query' }, 0.01, []);
    metrics.operationAnswered({ name: 'Second', type: 'query' }, 0.01, []);
    metrics.operationAnswered({ name: null, type: null }, 0.01, ['X']);
    const text = await metrics.registry.metrics();
    expect(seriesValue(text, 'mesh_gateway_subscription_events_dropped_total', { reason: 'slow-consumer' })).toBe(2);
    expect(seriesValue(text, 'mesh_gateway_subscription_events_dropped_total', { reason: 'auth-expired' })).toBe(1);
    expect(seriesValue(text, 'mesh_gateway_operation_duration_seconds_count', { operation: 'First', type: 'query', outcome: 'ok' })).toBe(1);
    expect(seriesValue(text, 'mesh_gateway_operation_duration_seconds_count', { operation: '(other)', type: 'query', outcome: 'ok' })).toBe(1);
    expect(seriesValue(text, 'mesh_gateway_operation_duration_seconds_count', { operation: '(other)', type: 'unknown', outcome: 'error' })).toBe(1);
  });

  it('should gauge each subgraph breaker as 0 closed, 1 half-open, 2 open', async () => {
    const metrics = createGatewayMetrics({ processMetrics: false });
    metrics.breakerChanged('orders', 'open');
    metrics.breakerChanged('catalog', 'open');
    metrics.breakerChanged('catalog', 'half-open');
    const text = await metrics.registry.metrics();
    expect(['orders', 'catalog'].map((subgraph) => seriesValue(text, 'mesh_gateway_subgraph_breaker_state', { subgraph }))).toEqual([2, 1]);
  });
});
