import type { StateReader, StateRow, StoredFact } from './Store.js';
import { REPAIR_CHUNK, type RepairSession } from './repairSession.js';
import { declaredState } from './storeInputs.js';

/**
 * The `StateReader` an apply hands its projector, over the statements of the apply's own transaction: the
 * facts of the batch are already inserted, so `replay` includes them, and a store that serializes writers
 * per key (PostgreSQL) locks the keys before reading them.
 */
export function sessionStateReader(session: RepairSession, states: ReadonlySet<string>): StateReader {
  const rows = async (state: string, keys: string[]): Promise<Map<string, StateRow>> =>
    new Map((await session.lockAndReadStates(declaredState(states, state), keys)).map((row) => [row.key, row]));
  return {
    rows,
    read: async (state, keys) => new Map([...(await rows(state, keys))].map(([key, row]) => [key, row.value])),
    async *replay(types) {
      for (let after: StoredFact | undefined; ;) {
        const facts = await session.readFacts({ types, after, limit: REPAIR_CHUNK });
        if (facts.length > 0) yield facts;
        if (facts.length < REPAIR_CHUNK) return;
        after = facts.at(-1);
      }
    },
  };
}
