import type { DataProductDeclaration, FactSchemas, StateDefinition } from '../productDeclaration.js';
import { STORED_GRAINS, type Projection, type Projector, type StateWrite, type StoredFact, type StoredGrain } from '../store/Store.js';
import { ZoneDays } from '../store/zoneDays.js';
import { zoneDayTables } from './zoneDayTables.js';
import { PROJECTION_FINEST_GRAIN, rollupProjections } from './rollupProjections.js';
import { RollupDeltaAccumulator, type DeltaTarget } from './rollupDeltaAccumulator.js';
import type { ContributionMemo } from './contributionMemo.js';

const ROLLUP_GRAINS = { all: STORED_GRAINS, finest: STORED_GRAINS.slice(0, 1) };
const ZONE_DAY_GRAINS: readonly StoredGrain[] = ['day'];
const PROJECTION_GRAINS = { all: STORED_GRAINS.slice(STORED_GRAINS.indexOf(PROJECTION_FINEST_GRAIN)), finest: [PROJECTION_FINEST_GRAIN] };

/**
 * Builds the projector the store calls inside its apply transaction: each new fact's contributions become
 * deltas for the minute, hour and day rollup tables, the hour and day tables of the rollup's projections
 * (only each table's finest grain when the store asks for `finestGrainOnly`) and the local-day tables of its
 * declared zones (`zoneDayTables.ts`), pre-merged per row key in one
 * pass (`RollupDeltaAccumulator`; `distinct` and `percentiles` samples go into the delta's sketches), and
 * keyed states are folded in event order starting from the values currently stored. With a `memo`, facts
 * whose contributions ingestion's check kept (`ContributionMemo`) are not derived again.
 */
export function createProjector<F extends FactSchemas>(definition: DataProductDeclaration<F>, memo?: ContributionMemo): Projector {
  const states = Object.entries(definition.states ?? {});
  const rollups = definition.rollups ?? {};
  // Where each contribution lands: the rollup itself (the same dimensions array, which the accumulator
  // recognises to skip picking), then each of its projections (its dimension subsets).
  const targets = (finest: boolean) => {
    const grains = finest ? 'finest' : 'all';
    const byRollup = new Map<string, DeltaTarget[]>(
      Object.entries(rollups).map(([name, r]) => [
        name,
        [
          { name, dimensions: r.dimensions, grains: ROLLUP_GRAINS[grains] },
          ...rollupProjections(name, r).map((p) => ({ name: p.name, dimensions: p.dimensions, grains: PROJECTION_GRAINS[grains] })),
          // A zone-day table's day is its finest grain: written from the facts in both modes.
          ...zoneDayTables(name, r).map((t) => ({
            name: t.name,
            dimensions: t.hoursOf === name ? r.dimensions : t.dimensions,
            grains: ZONE_DAY_GRAINS,
            days: ZoneDays.of(t.zone),
          })),
        ],
      ]),
    );
    return (name: string) => byRollup.get(name)!;
  };
  const allGrains = targets(false);
  const finestGrains = targets(true);

  return async (facts, reader, options = {}): Promise<Projection> => {
    const deltas = new RollupDeltaAccumulator(rollups, options.finestGrainOnly ? finestGrains : allGrains, memo);
    for (const fact of facts) deltas.add(fact);
    return { deltas: deltas.result(), states: await foldStates(states, facts, reader) };
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
    // Each touching fact's key, at the same index (no pair object per fact).
    const factKeys = touching.map((fact) => reducers[fact.type].key(fact.data));
    const keys = [...new Set(factKeys)];
    const current = reader.rows
      ? await reader.rows(name, keys)
      : new Map([...(await reader.read(name, keys))].map(([key, value]) => [key, { key, value, updatedAt: new Date(-8.64e15) }]));
    const late = new Set<string>();
    if (byEventTime && current.size > 0) {
      for (let i = 0; i < touching.length; i++) {
        const stored = current.get(factKeys[i]);
        if (stored !== undefined && touching[i].time.getTime() < stored.updatedAt.getTime()) late.add(factKeys[i]);
      }
    }
    // Per key: the value folded so far and the newest event time in it (a Date already at hand, not a new one).
    const latest = new Map<string, { value: Record<string, unknown>; time: Date }>();
    for (let i = 0; i < touching.length; i++) {
      const fact = touching[i];
      const key = factKeys[i];
      if (late.size > 0 && late.has(key)) continue;
      const folded = latest.get(key);
      const previous = folded?.value ?? current.get(key)?.value;
      const value = reducers[fact.type].reduce(previous, fact.data, fact.time);
      const before = folded?.time ?? current.get(key)?.updatedAt;
      const time = before === undefined || fact.time.getTime() >= before.getTime() ? fact.time : before;
      if (folded === undefined) latest.set(key, { value, time });
      else {
        folded.value = value;
        folded.time = time;
      }
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
