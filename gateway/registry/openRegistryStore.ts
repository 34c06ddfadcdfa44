import { createFileRegistryStore } from './createFileRegistryStore.js';
import type { RegistryStoreConfig } from './RegistryConfig.js';
import type { RegistryStore } from './RegistryStore.js';

/**
 * Opens the configured registry store (PostgreSQL: creates its schema and table when missing). The
 * PostgreSQL store, and with it the `pg` client, is imported only when configured.
 */
export async function openRegistryStore(config: RegistryStoreConfig): Promise<RegistryStore> {
  if (config.kind === 'file') return createFileRegistryStore({ path: config.path });
  const { createPostgresRegistryStore } = await import('./createPostgresRegistryStore.js');
  return createPostgresRegistryStore(config);
}
