import type { DuckDBConnection } from '@duckdb/node-api';
import { KeyHashSet } from './KeyHashSet.js';
import { stateTable } from './duckDbSql.js';

/**
 * What the embedded store knows of its keyed states' keys without asking the database: per state, the
 * hashes of every key ever written (`KeyHashSet`), and the keys the current write transaction read and
 * found absent. A look-up of a batch of keys is a semi-join that scans the state table (DuckDB uses its
 * key index for point look-ups only), so a batch of new keys, such as new orders, skips it; and a write
 * of a key read as absent in the same transaction is a plain INSERT rather than an ON CONFLICT upsert.
 */
export class DuckDbStateKeys {
  private readonly sets = new Map<string, KeyHashSet>();
  private absent = new Map<string, Set<string>>();

  constructor(states: Iterable<string>) {
    for (const state of states) this.sets.set(state, new KeyHashSet());
  }

  /** Hashes every stored key (at `init`). */
  async load(connection: DuckDBConnection): Promise<void> {
    for (const [state, set] of this.sets) {
      const result = await connection.stream(`SELECT key FROM ${stateTable(state)}`);
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        for (const key of chunk.getColumnValues(0) as string[]) set.add(...KeyHashSet.hash(key));
      }
    }
  }

  /** Starts a write transaction: what an earlier one read no longer counts. */
  begin(): void {
    this.absent = new Map();
  }

  /** The keys that may be stored; the others are certainly not. */
  mayExist(state: string, keys: readonly string[]): string[] {
    const set = this.sets.get(state);
    return set ? keys.filter((key) => set.has(...KeyHashSet.hash(key))) : [...keys];
  }

  /** Notes, for the current write transaction, which requested keys were not found. */
  readAbsent(state: string, requested: readonly string[], found: ReadonlySet<string>): void {
    let absent = this.absent.get(state);
    if (!absent) this.absent.set(state, (absent = new Set()));
    for (const key of requested) if (!found.has(key)) absent.add(key);
  }

  /** Whether the current write transaction read the key and found it absent (and has not written it since). */
  isAbsent(state: string, key: string): boolean {
    return this.absent.get(state)?.has(key) ?? false;
  }

  /** Called before a key is written: from now on it may be stored. */
  writing(state: string, key: string): void {
    this.sets.get(state)?.add(...KeyHashSet.hash(key));
    this.absent.get(state)?.delete(key);
  }
}
