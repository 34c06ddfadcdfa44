import type { Bus } from './kit/bus/Bus.js';
import { InProcessBus } from './kit/bus/InProcessBus.js';
import { DataProductRuntime } from './kit/DataProductRuntime.js';
import { loadTypeDefs } from './kit/graphql/loadTypeDefs.js';
import { serveDataProduct, type ServeDataProductOptions, type ServedDataProduct } from './kit/serveDataProduct.js';
import { DuckDbStore } from './kit/store/DuckDbStore.js';
import type { Store } from './kit/store/Store.js';
import { DOMAINS } from './domains.js';
import type { BusConfig, StoreConfig, SubgraphConfig } from './subgraphConfig.js';

/** A running demo subgraph. */
export interface RunningSubgraph {
  runtime: DataProductRuntime;
  served: ServedDataProduct;
  /** Stops serving, then closes bus and store. */
  close(): Promise<void>;
}

/** Opens the configured store. */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.kind === 'duckdb') return DuckDbStore.open({ path: config.path });
  throw new Error('MESH_STORE=postgres://… is not available in this build yet (see the scale-out issue); use duckdb');
}

/** Opens the configured bus. */
export async function openBus(config: BusConfig): Promise<Bus> {
  if (config.kind === 'memory') return new InProcessBus();
  throw new Error('MESH_BUS=nats://… is not available in this build yet (see the scale-out issue); use memory');
}

/** Starts one domain's data product subgraph from a validated configuration. */
export async function startSubgraph(config: SubgraphConfig, serveOptions: Omit<ServeDataProductOptions, 'port' | 'host' | 'exportDir'> = {}): Promise<RunningSubgraph> {
  const definition = DOMAINS[config.domain].define(loadTypeDefs(config.schemaDir, config.domain));
  const store = await openStore(config.store);
  const bus = await openBus(config.bus);
  const runtime = await DataProductRuntime.start(definition, { store, bus, latenessMs: config.latenessMs });
  const served = await serveDataProduct(runtime, { ...serveOptions, port: config.port, host: config.host, exportDir: config.exportDir });
  return {
    runtime,
    served,
    close: async () => {
      await served.close();
      await runtime.close();
    },
  };
}
