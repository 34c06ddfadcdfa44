/**
 * A gateway composing from running subgraphs that starts while one of them is down (operator trial): it
 * serves nothing until every SDL can be read, so it must say why, where an operator and a client look.
 * /ready names the subgraph, a query gets 503 SERVICE_UNAVAILABLE naming it with Retry-After, and the log
 * warns once the wait lasts; once the subgraph is up the gateway takes the supergraph and serves.
 */
import { startGateway, type RunningGateway } from '../../gateway/index.js';
import { waitFor } from '../support/asyncWait.js';
import { freePort } from '../support/launchedProcess.js';
import { buildInventorySubgraph, inventoryContext, startProductMesh, type ProductMesh } from '../support/productMeshSubgraphs.js';
import { refusedUrl } from '../support/refusedUrl.js';
import { startSubgraphServer, type SubgraphServer } from '../support/startSubgraphServer.js';
import { testGatewayConfig } from '../support/testGatewayConfig.js';

describe('a gateway started while a subgraph is down', () => {
  let mesh: ProductMesh;
  let gateway: RunningGateway | undefined;
  let inventory: SubgraphServer | undefined;
  const logs: Array<{ level: string; message: string }> = [];
  beforeAll(async () => {
    mesh = await startProductMesh();
  });
  afterAll(async () => {
    await gateway?.close();
    await inventory?.close();
    await mesh.close();
  });

  it('should name the subgraph in /ready, in its 503 answers (with Retry-After) and in a warning, then serve once it is up', async () => {
    const down = await refusedUrl();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // It listens at once, and resolves once it has its first supergraph.
    const starting = startGateway({
      config: testGatewayConfig(
        [
          { name: 'products', url: mesh.servers.products.url },
          { name: 'inventory', url: down },
        ],
        { port },
      ),
      log: (level, message) => void logs.push({ level, message }),
    });
    await waitFor(() => logs.some((l) => /waiting for the supergraph/.test(l.message)), 'the first failed attempt');

    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    const { reason } = (await ready.json()) as { reason: string };
    expect(reason).toMatch(/^the supergraph is not loaded yet: .*inventory/);
    // Public answers name the subgraph, never its address (the log has it).
    expect(reason).not.toContain(new URL(down).host);
    const answer = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('2');
    const [error] = ((await answer.json()) as { errors: Array<{ message: string; extensions: { code: string } }> }).errors;
    expect(error.message).not.toContain(new URL(down).host);
    expect(error).toEqual({
      message: expect.stringMatching(/^the gateway is starting: the supergraph is not loaded yet \(.*inventory.*\)$/),
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    await waitFor(() => logs.some((l) => l.level === 'warn' && /still no supergraph after \d+ s.*inventory/.test(l.message)), 'the warning', 10_000);
    expect(logs.some((l) => l.message.includes(new URL(down).host))).toBe(true);

    // The subgraph comes up where it was expected: the gateway takes the supergraph and serves.
    inventory = await startSubgraphServer(buildInventorySubgraph(), { port: Number(new URL(down).port), context: inventoryContext({ batches: [] }) });
    gateway = await starting;
    const served = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ product(id: "p1") { name stock } }' }),
    });
    expect(await served.json()).toEqual({ data: { product: { name: 'Kettle', stock: expect.any(Number) } } });
  }, 30_000);
});
