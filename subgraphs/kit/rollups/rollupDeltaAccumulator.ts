import type { Contribution, FactSchemas, MeasureKind, RollupDefinition } from '../productDeclaration.js';
import { GRAIN_MS, STORED_GRAINS, type MergeKind, type RollupDelta, type StoredFact, type StoredGrain } from '../store/Store.js';
import { measureColumns, rollupLayout } from './rollupLayout.js';
import { hashValue } from '../sketches/hashValue.js';
import { DistinctSketch } from '../sketches/DistinctSketch.js';
import { QuantileSketch } from '../sketches/QuantileSketch.js';
import type { ZoneDays } from '../store/zoneDays.js';
import type { ContributionMemo } from './contributionMemo.js';

/** Where a rollup's contributions land: a rollup table (name and dimensions) at the given grains. */
export interface DeltaTarget {
  name: string;
  dimensions: readonly string[];
  /** The grains it gets deltas at (a projection starts at the hour, see `rollupProjections.ts`). */
  grains: readonly StoredGrain[];
  /**
   * For a zone-day table: the zone whose local days its day buckets are (a fact outside the window those
   * tables cover adds nothing to it, see `store/zoneDays.ts`).
   * @default UTC buckets
   */
  days?: ZoneDays;
}

/** How one measure of a rollup turns a sample into columns, worked out once per projector. */
interface MeasurePlan {
  kind: MeasureKind;
  /** Numeric columns the sample adds to (avg: its sum, then its count). */
  columns: string[];
  /** The sketch column of a `distinct` or `percentiles` measure. */
  sketch: string | null;
}

interface RollupPlan {
  name: string;
  contributions: Record<string, ((data: unknown, time: Date) => Contribution | Contribution[] | null) | undefined>;
  dimensions: readonly string[];
  merges: Record<string, MergeKind>;
  measures: Map<string, MeasurePlan>;
  /** The rollup's own table first, then its projections; one pre-aggregation index per target and grain. */
  targets: Array<{ target: DeltaTarget; rows: DeltaIndex[] }>;
  /** Per-contribution scratch of sketch samples (reused: a fact allocates no sample list). */
  distinct: SampleScratch;
  quantiles: SampleScratch;
}

/** Sketch samples of one contribution: `size` columns with their hash halves or value. */
interface SampleScratch {
  size: number;
  columns: string[];
  first: number[];
  second: number[];
}

/**
 * The deltas of one target and grain by dimension values, then bucket: one `Map` level per dimension
 * keyed by the value itself, then a `Map` by bucket number. A key joined from the values and the bucket
 * would be a new string per fact and target, hashed on every look-up (most of the projector's time and
 * garbage); the values a contribution passes are the fact's own strings, whose hash V8 keeps.
 */
type DeltaIndex = Map<string, unknown>;

/**
 * Pre-aggregates a batch's facts into rollup deltas in one pass: one delta per (target, grain, bucket,
 * dimension values), each fact's samples merged into it (sums, min/max, sketches). Measures are planned
 * once, so a fact costs its contribution call, one lookup per target and grain, and no object per sample;
 * a sketch is built once per delta, and a `distinct` sample is hashed once for every grain and target.
 * The deltas come out in the order their keys first appeared.
 */
export class RollupDeltaAccumulator {
  private readonly plans: RollupPlan[];
  private readonly deltas: RollupDelta[] = [];
  /** The bucket Date of the last new delta (see `bucketDate`). */
  private lastBucket: Date | null = null;
  /** The zone-day start of the last time asked, per calendar (a fact's time serves each of its zone-day targets). */
  private readonly zoneDayStarts = new Map<ZoneDays, { time: number; start: number | null }>();

  /**
   * Deltas are made per rollup for each of its `targets`, each at its own grains: by default the rollup's
   * own table at every stored grain; `createProjector` adds the rollup's projections (fewer dimensions,
   * hour and coarser) as further targets of the same pass, so a fact's samples are checked once for all.
   */
  constructor(
    rollups: Record<string, RollupDefinition<FactSchemas>>,
    targets: (name: string) => readonly DeltaTarget[] = (name) => [{ name, dimensions: rollups[name].dimensions, grains: STORED_GRAINS }],
    /** Contributions already derived for facts of this batch (by ingestion's check), used instead of deriving them again. */
    private readonly memo?: ContributionMemo,
  ) {
    this.plans = Object.entries(rollups).map(([name, rollup]) => ({
      name,
      contributions: rollup.contributions,
      dimensions: rollup.dimensions,
      merges: rollupLayout(name, rollup.dimensions, rollup.measures).columns,
      measures: new Map(Object.entries(rollup.measures).map(([measure, kind]) => [measure, measurePlan(measure, kind)])),
      targets: targets(name).map((target) => ({ target, rows: target.grains.map((): DeltaIndex => new Map()) })),
      distinct: { size: 0, columns: [], first: [], second: [] },
      quantiles: { size: 0, columns: [], first: [], second: [] },
    }));
  }

  /** Adds one fact's contributions to every rollup it feeds. */
  add(fact: StoredFact): void {
    const remembered = this.memo?.recall(fact);
    for (let p = 0; p < this.plans.length; p++) {
      const plan = this.plans[p];
      const contribute = plan.contributions[fact.type];
      if (!contribute) continue;
      const result = remembered !== undefined ? remembered[p] : contribute(fact.data, fact.time);
      if (result === null || result === undefined) continue;
      if (Array.isArray(result)) for (const contribution of result) this.addContribution(plan, contribution, fact.time.getTime());
      else this.addContribution(plan, result, fact.time.getTime());
    }
  }

  /** The deltas so far, in first-seen order. */
  result(): RollupDelta[] {
    return this.deltas;
  }

  private addContribution(plan: RollupPlan, contribution: Contribution, time: number): void {
    const values: Record<string, number> = {};
    // Samples for sketch columns, hashed or checked once, into the plan's scratch lists.
    const distinct = plan.distinct;
    const quantiles = plan.quantiles;
    distinct.size = 0;
    quantiles.size = 0;
    for (const measure in contribution.values) {
      if (!Object.hasOwn(contribution.values, measure)) continue;
      const sample = contribution.values[measure];
      const measured = plan.measures.get(measure);
      if (measured === undefined) throw new Error(`rollup ${plan.name}: contribution names unknown measure "${measure}"`);
      if (measured.kind === 'distinct') {
        if (typeof sample !== 'string' && !Number.isFinite(sample)) throw new Error(`rollup ${plan.name}: measure "${measure}" got a non-finite sample`);
        const [high, low] = hashValue(String(sample));
        push(distinct, measured.sketch!, high, low);
        continue;
      }
      if (typeof sample !== 'number' || !Number.isFinite(sample)) throw new Error(`rollup ${plan.name}: measure "${measure}" got a non-finite sample`);
      if (measured.kind === 'percentiles') push(quantiles, measured.sketch!, sample, 0);
      else if (measured.kind === 'avg') {
        values[measured.columns[0]] = sample;
        values[measured.columns[1]] = 1;
      } else values[measured.columns[0]] = sample;
    }
    const sketched = distinct.size > 0 || quantiles.size > 0;
    const contributed = contribution.dims;
    let dims: Record<string, string> | null = null;
    let valuesTaken = false;
    for (const { target, rows } of plan.targets) {
      const { grains } = target;
      const whole = target.dimensions === plan.dimensions;
      for (let g = 0; g < grains.length; g++) {
        const grain = grains[g];
        // Buckets are keyed by their number (minutes, hours or days since the epoch; zone days by their
        // first UTC hour), a small integer where the start in ms would be a number boxed for every look-up.
        let bucket: number;
        let bucketMs: number;
        if (target.days) {
          const start = this.zoneDayStart(target.days, time);
          if (start === null) continue;
          bucketMs = start;
          bucket = start / HOUR_MS;
        } else {
          bucket = Math.floor(time / GRAIN_MS[grain]);
          bucketMs = bucket * GRAIN_MS[grain];
        }
        // Down the index by each dimension's value (as its text: '' when missing, as the stored row has it).
        let level = rows[g];
        for (const dimension of target.dimensions) {
          const value = dimensionText(contributed[dimension]);
          let next = level.get(value) as DeltaIndex | undefined;
          if (next === undefined) level.set(value, (next = new Map()));
          level = next;
        }
        const buckets = level as unknown as Map<number, RollupDelta>;
        let delta = buckets.get(bucket);
        if (delta === undefined) {
          // Only a new delta keeps the dimension values: a projection's its own subset, the rollup's a copy shared by its grains.
          dims ??= wholeDims(plan.dimensions, contributed);
          const deltaDims = whole ? dims : pick(dims, target.dimensions);
          // The first new delta of the contribution takes its values as they are (nothing writes to them
          // before the contribution is done), later ones a copy; deltas of one bucket start share a Date.
          const deltaValues = valuesTaken ? { ...values } : values;
          valuesTaken = true;
          const start = this.bucketDate(bucketMs);
          delta = sketched
            ? { rollup: target.name, grain, bucket: start, dims: deltaDims, values: deltaValues, sketches: {} }
            : { rollup: target.name, grain, bucket: start, dims: deltaDims, values: deltaValues };
          buckets.set(bucket, delta);
          this.deltas.push(delta);
        } else mergeInto(delta.values, values, plan.merges);
        if (!sketched) continue;
        const sketches = (delta.sketches ??= {});
        for (let i = 0; i < distinct.size; i++) {
          const column = distinct.columns[i];
          ((sketches[column] ??= new DistinctSketch()) as DistinctSketch).addHash(distinct.first[i], distinct.second[i]);
        }
        for (let i = 0; i < quantiles.size; i++) {
          const column = quantiles.columns[i];
          ((sketches[column] ??= QuantileSketch.empty()) as QuantileSketch).add(quantiles.first[i]);
        }
      }
    }
  }

  /**
   * The bucket Date of a new delta: the last one made when it starts at the same instant (a fact's zone-day
   * targets share their day, its projections their hour, consecutive facts their minute). Deltas' buckets
   * are read, never written to, so one Date serves them all.
   */
  private bucketDate(ms: number): Date {
    if (this.lastBucket === null || this.lastBucket.getTime() !== ms) this.lastBucket = new Date(ms);
    return this.lastBucket;
  }

  /** `days.startOf(time)`, computed once for the zone-day targets of one contribution that share a calendar. */
  private zoneDayStart(days: ZoneDays, time: number): number | null {
    let last = this.zoneDayStarts.get(days);
    if (last === undefined) this.zoneDayStarts.set(days, (last = { time: Number.NaN, start: null }));
    if (last.time !== time) {
      last.time = time;
      last.start = days.startOf(time);
    }
    return last.start;
  }
}

const HOUR_MS = GRAIN_MS.hour;

function push(scratch: SampleScratch, column: string, first: number, second: number): void {
  const at = scratch.size++;
  scratch.columns[at] = column;
  scratch.first[at] = first;
  scratch.second[at] = second;
}

/** A dimension value as the index keys it: the joined-key text it had (`${value}`), '' when missing. */
function dimensionText(value: string | undefined): string {
  // Typed as text, but a contribution is user code: a number keys as its text, as the joined key had it.
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : `${value as unknown as number}`;
}

/** The rollup's dimension values of a contribution, '' for a missing one. */
function wholeDims(dimensions: readonly string[], contributed: Record<string, string>): Record<string, string> {
  const dims: Record<string, string> = {};
  for (const dimension of dimensions) dims[dimension] = contributed[dimension] ?? '';
  return dims;
}

function measurePlan(measure: string, kind: MeasureKind): MeasurePlan {
  const sketch = kind === 'distinct' ? `${measure}_hll` : kind === 'percentiles' ? `${measure}_ddsketch` : null;
  return { kind, columns: Object.keys(measureColumns(measure, kind)), sketch };
}

/** Merges a fact's numeric columns into a delta's, each by its merge kind. */
function mergeInto(into: Record<string, number>, from: Record<string, number>, merges: Record<string, MergeKind>): void {
  for (const column in from) {
    const value = from[column];
    const current = into[column];
    if (current === undefined) into[column] = value;
    else {
      const merge = merges[column];
      into[column] = merge === 'sum' ? current + value : merge === 'min' ? Math.min(current, value) : Math.max(current, value);
    }
  }
}

function pick(dims: Record<string, string>, dimensions: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const dimension of dimensions) picked[dimension] = dims[dimension];
  return picked;
}
