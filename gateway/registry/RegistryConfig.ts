/** Where the schema registry keeps published versions. */
export type RegistryStoreConfig = { kind: 'file'; path: string } | { kind: 'postgres'; url: string; schema: string };

/** The schema registry's settings. */
export interface RegistryConfig {
  store: RegistryStoreConfig;
  /**
   * How often the stored versions are read again besides change notifications (a missed NOTIFY, a file
   * changed on a shared disk). @default 10000
   */
  syncIntervalMs?: number;
}
