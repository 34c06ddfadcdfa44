/**
 * A fresh temporary folder per test for DuckDB store files, and the stores a test opened there closed
 * after it (before the folder is removed). Call at the top of a test file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDbStore } from '../../subgraphs/kit/store/DuckDbStore.js';

export interface TempStores {
  /** The current test's folder. */
  readonly dir: string;
  /** Stores to close after the test: push what the test opens; take out one it closed itself. */
  readonly opened: DuckDbStore[];
}

export function useTempStores(prefix: string): TempStores {
  const opened: DuckDbStore[] = [];
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    opened,
  };
}
