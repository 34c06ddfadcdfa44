import { watchFile, unwatchFile } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VersionConflictError, type NewVersion, type PublishedSubgraph, type RegistryStore } from './RegistryStore.js';

/** Options of the file registry store. */
export interface FileRegistryStoreOptions {
  /** The JSON file; created (with its folder) on the first publication. */
  path: string;
  /** How often the file is checked for changes by other processes. @default 1000 */
  watchIntervalMs?: number;
}

/**
 * The registry in one JSON file (`{ "versions": [...] }`), replaced whole by rename so a reader never
 * sees half of it. Appends within this process are serialized; processes sharing the file should not
 * publish at the same instant (use PostgreSQL for several gateways).
 */
export function createFileRegistryStore(options: FileRegistryStoreOptions): RegistryStore {
  const { path: file, watchIntervalMs = 1000 } = options;
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => {});
    return run;
  };
  const read = async (): Promise<PublishedSubgraph[]> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const parsed = JSON.parse(text) as { versions?: PublishedSubgraph[] };
    if (!Array.isArray(parsed.versions)) throw new Error(`${file} is not a schema registry file (no "versions" list)`);
    return parsed.versions;
  };

  return {
    versions: () => serialized(read),
    append: (entry: NewVersion, expectedVersion: number) =>
      serialized(async () => {
        const versions = await read();
        const newest = versions.filter((v) => v.name === entry.name).reduce((max, v) => Math.max(max, v.version), 0);
        if (newest !== expectedVersion) throw new VersionConflictError(entry.name, expectedVersion, newest);
        const added: PublishedSubgraph = { ...entry, version: newest + 1, publishedAt: new Date().toISOString() };
        await mkdir(path.dirname(file), { recursive: true });
        const temporary = `${file}.${process.pid}.tmp`;
        await writeFile(temporary, `${JSON.stringify({ versions: [...versions, added] }, null, 2)}\n`);
        await rename(temporary, file);
        return added;
      }),
    watch: async (onChange) => {
      // This process's own writes come back too: a reload that finds the same supergraph changes nothing.
      const listener = () => {
        try {
          onChange();
        } catch {
          // the registry's own handler logs; a throw must not stop watching
        }
      };
      watchFile(file, { interval: watchIntervalMs, persistent: false }, listener);
      return async () => unwatchFile(file, listener);
    },
    close: async () => {
      await queue;
    },
  };
}
