import type { Contribution, DataProductDeclaration, FactSchemas, StateDefinition } from '../productDeclaration.js';
import { GRAIN_MS, STORED_GRAINS, type Projection, type Projector, type RollupDelta, type StateWrite, type StoredFact } from '../store/Store.js';
import { rollupLayout, sampleColumns, mergeColumns } from './rollupLayout.js';
import { PROJECTION_FINEST_GRAIN, rollupProjections } from './rollupProjections.js';
import { hashValue } from '../sketches/hashValue.js';
import type { DistinctSketch } from '../sketches/DistinctSketch.js';
import type { QuantileSketch } from '../sketches/QuantileSketch.js';
import { emptySketch, type Sketch, type SketchKind } from '../sketches/sketchKinds.js';

const PROJECTION_GRAINS = STORED_GRAINS.slice(STORED_GRAINS.indexOf(PROJECTION_FINEST_GRAIN));

/**
 * Builds the projector the store calls inside its apply transaction: each new fact's contributions become
 * deltas for the minute, hour and day rollup tables and those of the rollup's projections (pre-merged per
 * row key; `distinct` and `percentiles` samples go into the delta's sketches), and keyed states are folded in event order starting from the
 * values currently stored.
 */
export function createProjector<F extends FactSchemas>(definition: DataProductDeclaration<F>): Projector {
  const rollups = Object.entries(definition.rollups ?? {});
  const states = Object.entries(definition.states ?? {});
  const layouts = new Map(rollups.map(([name, r]) => [name, rollupLayout(name, r.dimensions, r.measures)]));
  // Where each contribution lands: the rollup itself, then each of its projections (its dimension subsets).
  const targets = new Map(
    rollups.map(([name, r]) => [
      name,
      [
        { name, dimensions: [...r.dimensions], grains: STORED_GRAINS },
        ...rollupProjections(name, r).map((p) => ({ name: p.name, dimensions: p.dimensions, grains: PROJECTION_GRAINS })),
      ],
    ]),
  );

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
          const samples: Array<{ column: string; add: (sketch: Sketch) => void; kind: SketchKind }> = [];
          for (const [measure, sample] of Object.entries(contribution.values)) {
            const kind = rollup.measures[measure];
            if (kind === undefined) throw new Error(`rollup ${name}: contribution names unknown measure "${measure}"`);
            if (kind === 'distinct') {
              if (typeof sample !== 'string' && !Number.isFinite(sample)) throw new Error(`rollup ${name}: measure "${measure}" got a non-finite sample`);
              // Hashed once, added to the sketch of every grain.
              const [high, low] = hashValue(String(sample));
              samples.push({ column: `${measure}_hll`, kind: 'hll', add: (sketch) => (sketch as DistinctSketch).addHash(high, low) });
              continue;
            }
            if (typeof sample !== 'number' || !Number.isFinite(sample)) throw new Error(`rollup ${name}: measure "${measure}" got a non-finite sample`);
            if (kind === 'percentiles')
              samples.push({ column: `${measure}_ddsketch`, kind: 'ddsketch', add: (sketch) => (sketch as QuantileSketch).add(sample) });
            else Object.assign(values, sampleColumns(measure, kind, sample));
          }
          const time = fact.time.getTime();
          const columns = layouts.get(name)!.columns;
          // Projections are pre-aggregated here, per batch, like the rollup: one more merge per fact and grain each.
          for (const target of targets.get(name)!) {
            const targetDims = target.name === name ? dims : Object.fromEntries(target.dimensions.map((d) => [d, dims[d]]));
            const dimsKey = target.dimensions.map((d) => dims[d]).join('\u0000');
            for (const grain of target.grains) {
              const bucketMs = Math.floor(time / GRAIN_MS[grain]) * GRAIN_MS[grain];
              // NUL cannot occur in names or grains, so the joined key is unambiguous and cheap.
              const key = `${target.name}\u0000${grain}\u0000${bucketMs}\u0000${dimsKey}`;
              let delta = deltas.get(key);
              if (delta) mergeColumns(columns, delta.values, values);
              else deltas.set(key, (delta = { rollup: target.name, grain, bucket: new Date(bucketMs), dims: targetDims, values: { ...values } }));
              for (const { column, kind, add } of samples) {
                const sketches = (delta.sketches ??= {});
                add((sketches[column] ??= emptySketch(kind)));
              }
            }
          }
        }
      }
    }
    return { deltas: [...deltas.values()], states: await foldStates(states, facts, reader) };
  };
}

type Reducer = { key: (d: unknown) => string; reduce: (p: Record<string, unknown> | undefined, d: unknown, t: Date) => Record<string, unknown> };

/**
 * Keyed states resolve by event time, not arrival. The facts of a batch are folded in event-time order
 * (equal times in arrival order) on top of the stored value when none is older than that value's
 * `updatedAt`; a fact at exactly `updatedAt` counts as newer, so on a tie the later arrival wins. When a
 * fact is older (late), its key is folded again from no value over every stored fact of the state's types
 * in event-time order (time, then source, then id), this batch included: the late fact lands where it
 * belongs instead of overwriting newer ones. That replay scans the state's facts, so it costs more than an
 * in-order fact; a store without `replay` leaves the stored value as it is (the late fact still counts in
 * rollups). A state declared `resolve: 'arrival'` (counters, whose reducers commute) folds every fact on
 * top in arrival order and never replays; its `updatedAt` is still the newest event time folded in.
 */
async function foldStates<F extends FactSchemas>(
  states: Array<[string, StateDefinition<F>]>,
  facts: StoredFact[],
  reader: Parameters<Projector>[1],
): Promise<StateWrite[]> {
  const writes: StateWrite[] = [];
  for (const [name, state] of states) {
    const reducers = state.reducers as Record<string, Reducer>;
    const byEventTime = state.resolve !== 'arrival';
    // A stable sort: equal times keep their arrival order.
    const touching = facts.filter((f) => reducers[f.type]);
    if (byEventTime) touching.sort((a, b) => a.time.getTime() - b.time.getTime());
    if (!touching.length) continue;
    const keyed = touching.map((fact) => ({ fact, key: reducers[fact.type].key(fact.data) }));
    const keys = [...new Set(keyed.map((k) => k.key))];
    const current = reader.rows
      ? await reader.rows(name, keys)
      : new Map([...(await reader.read(name, keys))].map(([key, value]) => [key, { key, value, updatedAt: new Date(-8.64e15) }]));
    const isLate = ({ fact, key }: { fact: StoredFact; key: string }) => fact.time.getTime() < (current.get(key)?.updatedAt.getTime() ?? -Infinity);
    const late = new Set(byEventTime ? keyed.filter(isLate).map((k) => k.key) : []);
    const latest = new Map<string, { value: Record<string, unknown>; time: Date }>();
    for (const { fact, key } of keyed) {
      if (late.has(key)) continue;
      const previous = latest.get(key)?.value ?? current.get(key)?.value;
      const newest = Math.max(fact.time.getTime(), latest.get(key)?.time.getTime() ?? current.get(key)?.updatedAt.getTime() ?? -Infinity);
      latest.set(key, { value: reducers[fact.type].reduce(previous, fact.data, fact.time), time: new Date(newest) });
    }
    if (late.size > 0 && reader.replay) {
      for await (const page of reader.replay(Object.keys(reducers))) {
        for (const fact of page) {
          const key = reducers[fact.type].key(fact.data);
          if (!late.has(key)) continue;
          latest.set(key, { value: reducers[fact.type].reduce(latest.get(key)?.value, fact.data, fact.time), time: fact.time });
        }
      }
    }
    for (const [key, { value, time }] of latest) writes.push({ state: name, key, value, updatedAt: time, previous: current.get(key)?.value ?? null });
  }
  return writes;
}
