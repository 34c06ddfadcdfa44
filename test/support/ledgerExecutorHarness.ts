/**
 * The ledger mesh (products + ledger replicas sharing one cursor log) with a subscription executor
 * pointed at it. Reconnects wait 20ms and are retried long enough to outlast a replica restart.
 * `endpoints` replaces the default endpoints (products, and the first ledger replica).
 */
import { parse, type ExecutionResult } from 'graphql';
import { createSubscriptionExecutor, type SubscriptionExecutor, type SubscriptionExecutorOptions } from '../../gateway/subscriptions/index.js';
import { nextValue } from './asyncWait.js';
import { startLedgerMesh, type LedgerMesh, type StartLedgerMeshOptions } from './ledgerMesh.js';

export interface LedgerExecutorHarness {
  mesh: LedgerMesh;
  executor: SubscriptionExecutor;
  /** Subscribes and returns the stream; fails the test if the executor answered with an error result. */
  subscribe(query: string, variables?: Record<string, unknown>): Promise<AsyncIterableIterator<ExecutionResult>>;
  close(): Promise<void>;
}

export interface LedgerExecutorHarnessOptions extends Partial<SubscriptionExecutorOptions> {
  /** How the ledger mesh is started. */
  mesh?: StartLedgerMeshOptions;
  /** The executor's `subgraphs`, once the mesh runs. @default products and the first ledger replica */
  endpoints?(mesh: LedgerMesh): SubscriptionExecutorOptions['subgraphs'];
}

export async function startLedgerExecutorHarness({
  mesh: meshOptions,
  endpoints = (mesh) => ({ products: { url: mesh.products.url }, ledger: { url: mesh.replicas[0].url } }),
  ...options
}: LedgerExecutorHarnessOptions = {}): Promise<LedgerExecutorHarness> {
  const mesh = await startLedgerMesh(meshOptions);
  const executor = createSubscriptionExecutor({
    supergraphSdl: mesh.supergraphSdl,
    subgraphs: endpoints(mesh),
    retry: { attempts: 250, delayMs: () => 20 },
    ...options,
  });
  const streams = new Set<AsyncIterableIterator<ExecutionResult>>();
  return {
    mesh,
    executor,
    async subscribe(query, variables) {
      const result = await executor.subscribe({ document: parse(query), variables });
      if (!(Symbol.asyncIterator in result)) throw new Error(`Expected a stream, got ${JSON.stringify(result)}`);
      streams.add(result);
      return result;
    },
    async close() {
      await Promise.all([...streams].map(async (stream) => stream.return?.()));
      await executor.dispose();
      await mesh.close();
    },
  };
}

/** The next `count` payloads of a `stockMoved`-like stream, as plain JSON (what a client receives). */
export async function nextPayloads(events: AsyncIterator<ExecutionResult>, count: number, what = 'events'): Promise<unknown[]> {
  const payloads: unknown[] = [];
  for (let i = 0; i < count; i += 1) payloads.push(JSON.parse(JSON.stringify(await nextValue(events, `${what} (${i + 1} of ${count})`))));
  return payloads;
}
