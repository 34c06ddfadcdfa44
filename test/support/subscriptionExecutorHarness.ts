/**
 * The product mesh (three subgraphs on loopback) plus a subscription executor pointed at it, and a
 * `subscribe(query, variables)` that parses and insists on getting a stream back. Reconnects wait 20ms
 * so a subgraph restart is picked up quickly.
 */
import { parse, type ExecutionResult } from 'graphql';
import { createSubscriptionExecutor, type SubscriptionExecutor, type SubscriptionExecutorOptions } from '../../gateway/subscriptions/index.js';
import { startProductMesh, type ProductMesh } from './productMeshSubgraphs.js';

export interface SubscriptionExecutorHarness {
  mesh: ProductMesh;
  executor: SubscriptionExecutor;
  /** Subscribes and returns the stream; fails the test if the executor answered with an error result. */
  subscribe(query: string, variables?: Record<string, unknown>): Promise<AsyncIterableIterator<ExecutionResult>>;
  /** Subscribes expecting an error result (no stream). */
  subscribeExpectingErrors(query: string, variables?: Record<string, unknown>): Promise<ExecutionResult>;
  close(): Promise<void>;
}

export async function startSubscriptionExecutorHarness(options: Partial<SubscriptionExecutorOptions> = {}): Promise<SubscriptionExecutorHarness> {
  const mesh = await startProductMesh();
  const executor = createSubscriptionExecutor({
    supergraphSdl: mesh.supergraphSdl,
    subgraphs: {
      products: { url: mesh.servers.products.url },
      inventory: { url: mesh.servers.inventory.url },
      prices: { url: mesh.servers.prices.url, wsUrl: mesh.servers.prices.wsUrl },
    },
    retry: { delayMs: () => 20 },
    ...options,
  });
  const run = (query: string, variables?: Record<string, unknown>) => executor.subscribe({ document: parse(query), variables });
  return {
    mesh,
    executor,
    async subscribe(query, variables) {
      const result = await run(query, variables);
      if (!(Symbol.asyncIterator in result)) {
        throw new Error(`Expected a stream, got ${JSON.stringify(result)}`);
      }
      return result;
    },
    async subscribeExpectingErrors(query, variables) {
      const result = await run(query, variables);
      if (Symbol.asyncIterator in result) {
        await result.return?.();
        throw new Error('Expected an error result, got a stream');
      }
      return result;
    },
    async close() {
      await executor.dispose();
      await mesh.close();
    },
  };
}

/** What a client would receive over the wire (plain JSON, errors serialised). */
export function asJson(result: ExecutionResult): unknown {
  return JSON.parse(JSON.stringify(result));
}
