import { createFileRegistryStore } from './createFileRegistryStore.js';
import { createPostgresRegistryStore } from './createPostgresRegistryStore.js';
import type { RegistryStoreConfig } from './RegistryConfig.js';
import type { RegistryStore } from './RegistryStore.js';

/** Opens the configured registry store (PostgreSQL: creates its schema and table when missing). */
export function openRegistryStore(config: RegistryStoreConfig): Promise<RegistryStore> {
  return config.kind === 'file' ? Promise.resolve(createFileRegistryStore({ path: config.path })) : createPostgresRegistryStore(config);
}
