import { LRUCache } from 'lru-cache';
import type { StateRow } from './Store.js';

/** A cached row: its value as stored (JSON text), so each hit decodes objects of its own. */
interface CachedRow {
  json: string;
  updatedAt: number;
}

/** Options of {@link StateRowCache}. */
export interface StateRowCacheOptions {
  /**
   * Most state rows kept (all state tables together), least recently read dropped first. 0 turns the cache
   * off: every read goes to the store.
   * @default 10_000
   */
  maxRows?: number;
}

/**
 * Keyed state rows an embedded store read lately, served again until its next write (issue #9: every live
 * event made the catalog and inventory subgraphs read the same product rows again, a DuckDB read of
 * about half a millisecond of CPU each, once per event). It is only right for a store that is its data's
 * only writer, as `DuckDbStore` is of its file: the store calls {@link invalidate} after every write turn,
 * and a read that a write overlapped is not kept (it may have read before the write committed). Each hit
 * decodes the stored JSON again, so callers never share objects.
 */
export class StateRowCache {
  private readonly rows: LRUCache<string, CachedRow> | null;
  /** Bumped by every write: a read whose load spanned a change keeps nothing. */
  private generation = 0;

  constructor({ maxRows = 10_000 }: StateRowCacheOptions = {}) {
    if (!Number.isSafeInteger(maxRows) || maxRows < 0) throw new RangeError(`maxRows must be a non-negative integer, got ${maxRows}`);
    this.rows = maxRows === 0 ? null : new LRUCache<string, CachedRow>({ max: maxRows });
  }

  /** Forgets every row: a write may have changed any of them. */
  invalidate(): void {
    this.generation++;
    this.rows?.clear();
  }

  /**
   * The current rows of `keys` of `state` (absent keys left out): cached ones decoded from the cache, the
   * others through `load`, which must read them from the store as of now.
   */
  async read(state: string, keys: readonly string[], load: (keys: string[]) => Promise<StateRow[]>): Promise<StateRow[]> {
    if (!this.rows) return load([...new Set(keys)]);
    const found: StateRow[] = [];
    const missing: string[] = [];
    for (const key of new Set(keys)) {
      const cached = this.rows.get(cacheKey(state, key));
      if (cached) found.push({ key, value: JSON.parse(cached.json) as Record<string, unknown>, updatedAt: new Date(cached.updatedAt) });
      else missing.push(key);
    }
    if (missing.length === 0) return found;
    const generation = this.generation;
    const loaded = await load(missing);
    if (generation === this.generation) {
      for (const row of loaded) this.rows.set(cacheKey(state, row.key), { json: JSON.stringify(row.value), updatedAt: row.updatedAt.getTime() });
    }
    return [...found, ...loaded];
  }
}

const cacheKey = (state: string, key: string): string => `${state}\u0000${key}`;
