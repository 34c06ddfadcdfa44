/** The Grafana dashboard in ops/ charts series the mesh really exports (a renamed series breaks it here, not on call). */
import { readFileSync } from 'node:fs';
import { createGatewayMetrics } from '../../gateway/observability/createGatewayMetrics.js';
import { eventMeshMetrics } from '../../subgraphs/kit/eventMesh/eventMeshMetrics.js';
import { createProductMetrics } from '../../subgraphs/kit/observability/createProductMetrics.js';

const SUFFIXES = /_(bucket|count|sum)$/;

describe('ops/grafana/mesh.json', () => {
  it('should query only series the gateway and the subgraphs export', async () => {
    const dashboard = JSON.parse(readFileSync('ops/grafana/mesh.json', 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const queried = new Set(dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/\b(?:mesh|process)_[a-z_]+\b/g) ?? [])));
    const product = createProductMetrics({ domain: 'orders' });
    product.watchFreshness(async () => new Date());
    // A subgraph with an event mesh bridge adds its series to the product's registry.
    eventMeshMetrics(product.registry, 'orders');
    const exported = new Set(
      [...(await createGatewayMetrics().registry.getMetricsAsJSON()), ...(await product.registry.getMetricsAsJSON())].map((metric) => metric.name),
    );
    const missing = [...queried].filter((name) => !exported.has(name.replace(SUFFIXES, '')) && !exported.has(name));
    expect(queried.size).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});
