import type { Contribution, DataProductDeclaration, FactSchemas, StateDefinition } from '../productDeclaration.js';
import { GRAIN_MS, STORED_GRAINS, type Projection, type Projector, type RollupDelta, type StateWrite, type StoredFact } from '../store/Store.js';
import { rollupLayout, sampleColumns, mergeColumns } from './rollupLayout.js';

/**
 * Builds the projector the store calls inside its apply transaction: each new fact's contributions become
 * deltas for the minute, hour and day rollup tables (pre-merged per row key), and keyed states are folded in
 * event order starting from the values currently stored.
 */
export function createProjector<F extends FactSchemas>(definition: DataProductDeclaration<F>): Projector {
  const rollups = Object.entries(definition.rollups ?? {});
  const states = Object.entries(definition.states ?? {});
  const layouts = new Map(rollups.map(([name, r]) => [name, rollupLayout(name, r.dimensions, r.measures)]));

  return async (facts, reader): Promise<Projection> => {
    const deltas = new Map<string, RollupDelta>();
    for (const fact of facts) {
      for (const [name, rollup] of rollups) {
        const contribute = rollup.contributions[fact.type] as ((data: unknown, time: Date) => Contribution | Contribution[] | null) | undefined;
        if (!contribute) continue;
        const result = contribute(fact.data, fact.time);
        const contributions = result === null ? [] : Array.isArray(result) ? result : [result];
        for (const contribution of contributions) {
          const dims = Object.fromEntries(rollup.dimensions.map((d) => [d, contribution.dims[d] ?? '']));
          const values: Record<string, number> = {};
          for (const [measure, sample] of Object.entries(contribution.values)) {
            const kind = rollup.measures[measure];
            if (kind === undefined) throw new Error(`rollup ${name}: contribution names unknown measure "${measure}"`);
            if (!Number.isFinite(sample)) throw new Error(`rollup ${name}: measure "${measure}" got a non-finite sample`);
            Object.assign(values, sampleColumns(measure, kind, sample));
          }
          const dimsKey = rollup.dimensions.map((d) => dims[d]).join('\u0000');
          const time = fact.time.getTime();
          for (const grain of STORED_GRAINS) {
            const bucketMs = Math.floor(time / GRAIN_MS[grain]) * GRAIN_MS[grain];
            // NUL cannot occur in names or grains, so the joined key is unambiguous and cheap.
            const key = `${name}\u0000${grain}\u0000${bucketMs}\u0000${dimsKey}`;
            const existing = deltas.get(key);
            if (existing) mergeColumns(layouts.get(name)!.columns, existing.values, values);
            else deltas.set(key, { rollup: name, grain, bucket: new Date(bucketMs), dims, values: { ...values } });
          }
        }
      }
    }
    return { deltas: [...deltas.values()], states: await foldStates(states, facts, reader) };
  };
}

async function foldStates<F extends FactSchemas>(
  states: Array<[string, StateDefinition<F>]>,
  facts: StoredFact[],
  reader: Parameters<Projector>[1],
): Promise<StateWrite[]> {
  const writes: StateWrite[] = [];
  for (const [name, state] of states) {
    const reducers = state.reducers as Record<
      string,
      { key: (d: unknown) => string; reduce: (p: Record<string, unknown> | undefined, d: unknown, t: Date) => Record<string, unknown> }
    >;
    const touching = facts.filter((f) => reducers[f.type]);
    if (!touching.length) continue;
    const keys = [...new Set(touching.map((f) => reducers[f.type].key(f.data)))];
    const current = await reader.read(name, keys);
    const latest = new Map<string, { value: Record<string, unknown>; time: Date }>();
    for (const fact of touching) {
      const reducer = reducers[fact.type];
      const key = reducer.key(fact.data);
      const previous = latest.get(key)?.value ?? current.get(key);
      latest.set(key, { value: reducer.reduce(previous, fact.data, fact.time), time: fact.time });
    }
    for (const [key, { value, time }] of latest) writes.push({ state: name, key, value, updatedAt: time, previous: current.get(key) ?? null });
  }
  return writes;
}
