/** Reading the observability settings from the environment, and who may scrape `/metrics`. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { envFail } from '../../core/config/EnvFail.js';
import { metricsHandler, type MetricsHandlerOptions } from '../../core/observability/metricsHandler.js';
import { observabilityConfigFromEnv } from '../../core/observability/observabilityConfigFromEnv.js';
import { requestIdFrom } from '../../core/observability/requestContext.js';
import { negotiateResponseType } from '../../gateway/http/graphqlOverHttpPlugin.js';
import { gatewayObservabilityFromEnv } from '../../gateway/observability/gatewayObservabilityFromEnv.js';

describe('observabilityConfigFromEnv', () => {
  it('should default to info JSON logs, open metrics and no tracing outside production', () => {
    expect(observabilityConfigFromEnv({})).toEqual({ logLevel: 'info', logFormat: 'json', metricsOpen: true });
  });

  it('should log pretty on a terminal outside production only', () => {
    expect(observabilityConfigFromEnv({}, true).logFormat).toBe('pretty');
    expect(observabilityConfigFromEnv({ NODE_ENV: 'production' }, true).logFormat).toBe('json');
    expect(observabilityConfigFromEnv({ MESH_LOG_FORMAT: 'json' }, true).logFormat).toBe('json');
  });

  it('should close metrics in production unless a token is set', () => {
    expect(observabilityConfigFromEnv({ NODE_ENV: 'production' })).toMatchObject({ metricsOpen: false });
    expect(observabilityConfigFromEnv({ NODE_ENV: 'production', MESH_METRICS_TOKEN: 'a-scrape-token-0123' })).toMatchObject({
      metricsOpen: false,
      metricsToken: 'a-scrape-token-0123',
    });
  });

  it('should turn tracing on with an OTLP endpoint or MESH_TRACING=otlp, and off with MESH_TRACING=off', () => {
    expect(observabilityConfigFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlpEndpoint).toBe('http://collector:4318');
    expect(observabilityConfigFromEnv({ MESH_TRACING: 'otlp' }).otlpEndpoint).toBe('http://127.0.0.1:4318');
    expect(observabilityConfigFromEnv({ MESH_TRACING: 'off', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlpEndpoint).toBeUndefined();
  });

  it.each([
    [{ MESH_LOG_LEVEL: 'loud' }, /MESH_LOG_LEVEL="loud"/],
    [{ MESH_LOG_FORMAT: 'xml' }, /MESH_LOG_FORMAT/],
    [{ MESH_METRICS_TOKEN: 'short' }, /MESH_METRICS_TOKEN="\[redacted\]": at least 16/],
    [{ MESH_TRACING: 'jaeger' }, /MESH_TRACING/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT/],
  ])('should refuse %j naming the variable', (env, message) => {
    expect(() => observabilityConfigFromEnv(env)).toThrow(message);
  });
});

describe('gatewayObservabilityFromEnv', () => {
  it('should read the CORS allow-list without credentials by default', () => {
    expect(gatewayObservabilityFromEnv({ MESH_CORS_ORIGINS: 'https://a.example.com, http://localhost:3000/' }, envFail).cors).toEqual({
      origins: ['https://a.example.com', 'http://localhost:3000'],
      credentials: false,
    });
    expect(gatewayObservabilityFromEnv({}, envFail).cors).toEqual({ origins: [], credentials: false });
    expect(gatewayObservabilityFromEnv({ MESH_CORS_ORIGINS: 'https://a.example.com', MESH_CORS_CREDENTIALS: 'true' }, envFail).cors.credentials).toBe(true);
  });

  it.each([
    [{ MESH_CORS_ORIGINS: 'https://a.example.com/app' }, /MESH_CORS_ORIGINS/],
    [{ MESH_CORS_ORIGINS: 'a.example.com' }, /MESH_CORS_ORIGINS/],
    [{ MESH_CORS_CREDENTIALS: 'yes' }, /MESH_CORS_CREDENTIALS/],
    [{ MESH_CORS_ORIGINS: '*', MESH_CORS_CREDENTIALS: 'true' }, /explicit MESH_CORS_ORIGINS/],
  ])('should refuse %j naming the variable', (env, message) => {
    expect(() => gatewayObservabilityFromEnv(env, envFail)).toThrow(message);
  });
});

describe('negotiateResponseType', () => {
  it.each([
    [undefined, 'application/json'],
    ['*/*', 'application/json'],
    ['application/graphql-response+json', 'application/graphql-response+json'],
    ['application/json, application/graphql-response+json', 'application/json'],
    ['application/graphql-response+json;q=0.5, application/json', 'application/json'],
    ['*/*, application/graphql-response+json', 'application/graphql-response+json'],
    ['text/html', null],
    ['application/json;q=0', null],
  ])('should pick %s as %s', (accept, type) => {
    expect(negotiateResponseType(accept)).toBe(type);
  });
});

describe('requestIdFrom', () => {
  it('should keep a well-formed id and replace a missing, long or odd one', () => {
    expect(requestIdFrom('abc-123')).toBe('abc-123');
    expect(requestIdFrom(['first', 'second'])).toBe('first');
    for (const bad of [undefined, '', 'a\nb', 'x'.repeat(129)]) expect(requestIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('metricsHandler', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const serve = async (options: Omit<MetricsHandlerOptions, 'registry'>) => {
    const registry = new Registry();
    new Counter({ name: 'probe_total', help: 'a probe', registers: [registry] }).inc(3);
    server = createServer(metricsHandler({ registry, ...options }));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    return (authorization?: string) => fetch(url, { headers: authorization ? { authorization } : {} });
  };

  it('should answer only the bearer token when one is set', async () => {
    const scrape = await serve({ token: 'a-scrape-token-0123' });
    expect((await scrape()).status).toBe(401);
    expect((await scrape('Bearer wrong-token-0123456')).status).toBe(401);
    const ok = await scrape('Bearer a-scrape-token-0123');
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('probe_total 3');
  });

  it('should refuse everyone with 403 when closed and without a token', async () => {
    const scrape = await serve({ open: false });
    const answer = await scrape();
    expect(answer.status).toBe(403);
    expect(await answer.json()).toEqual({ error: { code: 'FORBIDDEN', message: expect.stringContaining('MESH_METRICS_TOKEN') } });
  });
});
