import {
  GRAIN_MS,
  type FactKey,
  type RebuildBatch,
  type RebuildRange,
  type RebuildResult,
  type Retraction,
  type RetractionResult,
  type Reprojector,
  type RevisedBucket,
  type RollupLayout,
  type StateReader,
  type StateRepair,
  type StateRow,
  type StateWrite,
  type StoredFact,
  type StoredGrain,
} from './Store.js';
import { isValidDate, mergeRollupDeltas, mergeStateWrites } from './mergeRollupDeltas.js';
import { deriveSketchRows } from './sketchRows.js';
import { deriveZoneDays } from './deriveZoneDays.js';

/*
 * Retract, restore and rebuild, written once over the few statements a store dialect provides
 * (`RepairSession`, bound to one open transaction). The unit of rollup repair is a span of whole UTC hours
 * within one UTC day: minute rows are re-projected from the span's facts (hour rows for a layout whose
 * `finestGrain` is the hour, as projections), hour rows are derived from the minute rows and the day row
 * from the hour rows (merge kinds are sum/min/max, so a coarser row is exactly
 * the merge of its finer rows, as the stores' grain backfill already relies on). Sketch columns are
 * re-projected with the minute rows and derived the same way, merged in JS. The rows of zone-day tables
 * (`RollupLayout.dayZone`) for each local day the span touches are then derived from their hour tables
 * (`deriveZoneDays.ts`). Every grain then agrees after each transaction.
 */

/** Facts per read and per projector call: bounds memory whatever a span or a state holds. */
export const REPAIR_CHUNK = 5_000;

import type { RepairSession, StoredRollupRow } from './repairStatements.js';

export type { FactScan, RepairSession, StoredRollupRow } from './repairStatements.js';

/** What a store hands the repair functions besides the session. */
export interface RepairContext {
  rollups: ReadonlyMap<string, RollupLayout>;
  states: ReadonlySet<string>;
  reprojector: Reprojector;
}

/** A reader of no state: rollup deltas must not depend on it (see `Reprojector`). */
const NO_STATE: StateReader = { read: async () => new Map(), rows: async () => new Map() };

const floorTo = (ms: number, step: number) => Math.floor(ms / step) * step;
const ceilTo = (ms: number, step: number) => Math.ceil(ms / step) * step;

/** Retracts (`retraction` given) or restores (`null`) the fact under `key`, repairing what it touched. */
export async function changeRetraction(session: RepairSession, context: RepairContext, key: FactKey, retraction: Retraction | null): Promise<RetractionResult> {
  const fact = await session.findFact(key);
  const existing = await session.findRetraction(key);
  const unchanged = (status: RetractionResult['status']): RetractionResult => ({ status, fact, retraction: existing, revised: [], states: [] });
  if (!fact) return unchanged('not-found');
  if (retraction && existing) return unchanged('already-retracted');
  if (!retraction && !existing) return unchanged('not-retracted');

  if (retraction) await session.insertRetraction(retraction);
  else await session.deleteRetraction(key);
  const hour = floorTo(fact.time.getTime(), GRAIN_MS.hour);
  const revised = await repairSpan(session, context, new Date(hour), new Date(hour + GRAIN_MS.hour));
  const touched = (await context.reprojector.project([fact], NO_STATE)).states;
  const states = await recomputeStates(session, context, touched);
  return { status: retraction ? 'retracted' : 'restored', fact, retraction: retraction ?? existing, revised, states };
}

/**
 * The batches of a rebuild: whole UTC hours covering the range, split at UTC midnights. Without bounds the
 * range is every stored fact's time.
 */
export async function rebuildSpans(session: RepairSession, range: RebuildRange): Promise<Array<{ from: Date; to: Date }>> {
  for (const [name, value] of Object.entries({ from: range.from, to: range.to })) {
    if (value !== undefined && !isValidDate(value)) throw new RangeError(`rebuild ${name} is not a valid date`);
  }
  const { from, to } = range;
  if (from && to && from.getTime() >= to.getTime()) throw new RangeError('rebuild from must be before to');
  // Every rollup row comes from a stored fact (retracted ones stay stored), so hours without facts on
  // either side of them hold nothing to rebuild: a range from 1970 costs no empty transactions.
  const stored = await session.factTimeRange();
  if (!stored) return [];
  const first = Math.max(from?.getTime() ?? -Infinity, stored.min.getTime());
  const last = Math.min(to?.getTime() ?? Infinity, stored.max.getTime() + 1);
  if (first >= last) return [];
  const spans: Array<{ from: Date; to: Date }> = [];
  const end = ceilTo(last, GRAIN_MS.hour);
  for (let start = floorTo(first, GRAIN_MS.hour); start < end;) {
    const stop = Math.min(end, floorTo(start, GRAIN_MS.day) + GRAIN_MS.day);
    spans.push({ from: new Date(start), to: new Date(stop) });
    start = stop;
  }
  return spans;
}

/** Runs a rebuild: one `transaction` per span, `onBatch` after each commit. */
export async function runRebuild(
  spans: Array<{ from: Date; to: Date }>,
  transaction: (span: { from: Date; to: Date }) => Promise<RebuildBatch>,
  onBatch: (batch: RebuildBatch) => Promise<void> = async () => undefined,
): Promise<RebuildResult> {
  const result: RebuildResult = { from: spans[0]?.from ?? null, to: spans.at(-1)?.to ?? null, batches: 0, facts: 0, revised: 0 };
  for (const span of spans) {
    const batch = await transaction(span);
    result.batches++;
    result.facts += batch.facts;
    result.revised += batch.revised.length;
    await onBatch(batch);
  }
  return result;
}

/** Rebuilds one span (hour-aligned, within one UTC day) in the session's transaction. */
export async function rebuildSpan(session: RepairSession, context: RepairContext, span: { from: Date; to: Date }, rollup?: string): Promise<RebuildBatch> {
  const counter = { facts: 0 };
  // A rollup is rebuilt with its projections, so they never disagree with it.
  const rebuilt =
    rollup === undefined ? [] : [rebuiltRollup(context.rollups, rollup), ...[...context.rollups.values()].filter((l) => l.projectionOf === rollup)];
  const only = rollup === undefined ? context : { ...context, rollups: new Map(rebuilt.map((layout) => [layout.name, layout])) };
  const revised = await repairSpan(session, only, span.from, span.to, counter);
  return { from: span.from, to: span.to, facts: counter.facts, revised };
}

/** The layout of the rollup a rebuild is limited to; an unknown name is bad input, not a store failure. */
export function rebuiltRollup(rollups: ReadonlyMap<string, RollupLayout>, name: string): RollupLayout {
  const layout = rollups.get(name);
  if (!layout || layout.projectionOf !== undefined) {
    const known = [...rollups.values()].filter((l) => l.projectionOf === undefined).map((l) => l.name);
    throw new RangeError(`unknown rollup ${JSON.stringify(name)}; known: ${known.join(', ')}`);
  }
  return layout;
}

/** Recomputes every rollup row of [from, to) (whole hours of one UTC day) and its day; returns changed minute rows. */
async function repairSpan(session: RepairSession, context: RepairContext, from: Date, to: Date, counter = { facts: 0 }): Promise<RevisedBucket[]> {
  const layouts = [...context.rollups.values()];
  const before = new Map<string, StoredRollupRow[]>();
  // Zone-day tables are derived from the hours once these are right again, below.
  const utc = layouts.filter((layout) => !layout.dayZone);
  for (const layout of utc) {
    const finest = layout.finestGrain ?? 'minute';
    if (layout.projectionOf === undefined) before.set(layout.name, await session.readRows(layout, 'minute', from, to));
    await session.deleteRows(layout, finest, from, to);
  }
  for (let after: StoredFact | undefined; ;) {
    const facts = await session.readFacts({ from, to, after, limit: REPAIR_CHUNK });
    if (facts.length === 0) break;
    counter.facts += facts.length;
    after = facts.at(-1);
    const { deltas } = await context.reprojector.project(facts, NO_STATE, { finestGrainOnly: true });
    const inSpan = deltas.filter(
      (d) =>
        d.grain === (context.rollups.get(d.rollup)?.finestGrain ?? 'minute') &&
        context.rollups.has(d.rollup) &&
        !context.rollups.get(d.rollup)!.dayZone &&
        d.bucket.getTime() >= from.getTime() &&
        d.bucket.getTime() < to.getTime(),
    );
    await session.upsertRollups(mergeRollupDeltas(inSpan, context.rollups));
    if (facts.length < REPAIR_CHUNK) break;
  }
  const day = floorTo(from.getTime(), GRAIN_MS.day);
  const revised: RevisedBucket[] = [];
  for (const layout of utc) {
    if ((layout.finestGrain ?? 'minute') === 'minute') await deriveGrain(session, layout, 'minute', 'hour', from, to);
    await deriveGrain(session, layout, 'hour', 'day', new Date(day), new Date(day + GRAIN_MS.day));
    // A projection's rows change with its rollup's: only the rollup's are reported (they become change events).
    const previous = before.get(layout.name);
    if (previous) revised.push(...changedRows(layout, previous, await session.readRows(layout, 'minute', from, to)));
  }
  // Each local day the span touches, whole: a day across two UTC days is derived again by each span's batch,
  // so it always merges the hours as they are.
  for (const layout of layouts) {
    const hours = layout.dayZone && context.rollups.get(layout.dayZone.hoursOf);
    if (hours) await deriveZoneDays(session, layout, hours, from, to);
  }
  return revised;
}

/** Replaces the coarser rows of [from, to) with the merge of the finer ones, sketches included. */
async function deriveGrain(session: RepairSession, layout: RollupLayout, finer: StoredGrain, coarser: StoredGrain, from: Date, to: Date): Promise<void> {
  await session.deriveRows(layout, finer, coarser, from, to);
  if (!layout.sketches) return;
  const rows = await session.readSketchRows(layout, finer, from, to);
  const size = GRAIN_MS[coarser];
  await session.writeSketchRows(
    layout,
    coarser,
    deriveSketchRows(layout, rows, (bucket) => new Date(floorTo(bucket.getTime(), size))),
  );
}

/** Minute rows that appeared, disappeared or changed value. */
function changedRows(layout: RollupLayout, before: StoredRollupRow[], after: StoredRollupRow[]): RevisedBucket[] {
  const keyOf = (row: StoredRollupRow) => JSON.stringify([row.bucket.getTime(), ...row.dims]);
  const old = new Map(before.map((row) => [keyOf(row), row]));
  const changed: StoredRollupRow[] = [];
  for (const row of after) {
    const key = keyOf(row);
    const previous = old.get(key);
    old.delete(key);
    if (!previous || previous.values.some((value, i) => value !== row.values[i])) changed.push(row);
  }
  changed.push(...old.values());
  return changed.map((row) => ({
    rollup: layout.name,
    bucket: row.bucket,
    dims: Object.fromEntries(layout.dimensions.map((dimension, i) => [dimension, row.dims[i]])),
  }));
}

/**
 * Folds the remaining facts again, in event-time order from no value, for the state keys `touched` names.
 * The projector folds from what its reader returns, so the reader serves the values folded so far.
 */
async function recomputeStates(session: RepairSession, context: RepairContext, touched: StateWrite[]): Promise<StateRepair[]> {
  const wanted = new Map<string, Map<string, { value: Record<string, unknown>; updatedAt: Date } | null>>();
  for (const { state, key } of touched) {
    if (!context.states.has(state)) continue;
    if (!wanted.has(state)) wanted.set(state, new Map());
    wanted.get(state)!.set(key, null);
  }
  if (wanted.size === 0) return [];
  const previous = new Map<string, Map<string, StateRow>>();
  for (const [state, keys] of wanted) {
    const rows = await session.lockAndReadStates(state, [...keys.keys()]);
    previous.set(state, new Map(rows.map((row) => [row.key, row])));
  }

  // Facts come in event-time order, so none is late against what is folded so far: no replay needed.
  const rows = async (state: string, keys: string[]) => {
    const folded = new Map<string, StateRow>();
    for (const key of keys) {
      const current = wanted.get(state)?.get(key);
      if (current) folded.set(key, { key, ...current });
    }
    return folded;
  };
  const reader: StateReader = { rows, read: async (state, keys) => new Map([...(await rows(state, keys))].map(([key, row]) => [key, row.value])) };
  const { stateFactTypes } = context.reprojector;
  for (let after: StoredFact | undefined; ;) {
    const facts = await session.readFacts({ types: stateFactTypes, after, limit: REPAIR_CHUNK });
    if (facts.length === 0) break;
    after = facts.at(-1);
    const { states } = await context.reprojector.project(facts, reader);
    for (const write of states) {
      const keys = wanted.get(write.state);
      if (keys?.has(write.key)) keys.set(write.key, { value: write.value, updatedAt: write.updatedAt });
    }
    if (facts.length < REPAIR_CHUNK) break;
  }

  const repairs: StateRepair[] = [];
  const writes: StateWrite[] = [];
  for (const [state, keys] of wanted) {
    const gone: string[] = [];
    for (const [key, folded] of keys) {
      const before = previous.get(state)!.get(key)?.value ?? null;
      if (folded) writes.push({ state, key, value: folded.value, updatedAt: folded.updatedAt });
      else gone.push(key);
      if (JSON.stringify(before) !== JSON.stringify(folded?.value ?? null)) {
        repairs.push({ state, key, value: folded?.value ?? null, previous: before, updatedAt: folded?.updatedAt ?? null });
      }
    }
    await session.deleteStates(state, gone);
  }
  await session.writeStates(mergeStateWrites(writes, context.states));
  return repairs;
}
