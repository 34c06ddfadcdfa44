import type { Contribution, FactSchemas, MeasureKind, RollupDefinition } from '../productDeclaration.js';
import { GRAIN_MS, STORED_GRAINS, type MergeKind, type RollupDelta, type StoredFact, type StoredGrain } from '../store/Store.js';
import { measureColumns, rollupLayout } from './rollupLayout.js';
import { hashValue } from '../sketches/hashValue.js';
import { DistinctSketch } from '../sketches/DistinctSketch.js';
import { QuantileSketch } from '../sketches/QuantileSketch.js';
import type { ZoneDays } from '../store/zoneDays.js';

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
  /** The rollup's own table first, then its projections; one pre-aggregation map per target and grain. */
  targets: Array<{ target: DeltaTarget; rows: Array<Map<string, RollupDelta>> }>;
}

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

  /**
   * Deltas are made per rollup for each of its `targets`, each at its own grains: by default the rollup's
   * own table at every stored grain; `createProjector` adds the rollup's projections (fewer dimensions,
   * hour and coarser) as further targets of the same pass, so a fact's samples are checked once for all.
   */
  constructor(
    rollups: Record<string, RollupDefinition<FactSchemas>>,
    targets: (name: string) => readonly DeltaTarget[] = (name) => [{ name, dimensions: rollups[name].dimensions, grains: STORED_GRAINS }],
  ) {
    this.plans = Object.entries(rollups).map(([name, rollup]) => ({
      name,
      contributions: rollup.contributions,
      dimensions: rollup.dimensions,
      merges: rollupLayout(name, rollup.dimensions, rollup.measures).columns,
      measures: new Map(Object.entries(rollup.measures).map(([measure, kind]) => [measure, measurePlan(measure, kind)])),
      targets: targets(name).map((target) => ({ target, rows: target.grains.map(() => new Map<string, RollupDelta>()) })),
    }));
  }

  /** Adds one fact's contributions to every rollup it feeds. */
  add(fact: StoredFact): void {
    for (const plan of this.plans) {
      const contribute = plan.contributions[fact.type];
      if (!contribute) continue;
      const result = contribute(fact.data, fact.time);
      if (result === null) continue;
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
    // Samples for sketch columns, hashed or checked once: [column, high, low] and [column, value].
    let distinct: Array<[string, number, number]> | null = null;
    let quantiles: Array<[string, number]> | null = null;
    for (const measure in contribution.values) {
      if (!Object.hasOwn(contribution.values, measure)) continue;
      const sample = contribution.values[measure];
      const measured = plan.measures.get(measure);
      if (measured === undefined) throw new Error(`rollup ${plan.name}: contribution names unknown measure "${measure}"`);
      if (measured.kind === 'distinct') {
        if (typeof sample !== 'string' && !Number.isFinite(sample)) throw new Error(`rollup ${plan.name}: measure "${measure}" got a non-finite sample`);
        const [high, low] = hashValue(String(sample));
        (distinct ??= []).push([measured.sketch!, high, low]);
        continue;
      }
      if (typeof sample !== 'number' || !Number.isFinite(sample)) throw new Error(`rollup ${plan.name}: measure "${measure}" got a non-finite sample`);
      if (measured.kind === 'percentiles') (quantiles ??= []).push([measured.sketch!, sample]);
      else if (measured.kind === 'avg') {
        values[measured.columns[0]] = sample;
        values[measured.columns[1]] = 1;
      } else values[measured.columns[0]] = sample;
    }
    const dims: Record<string, string> = {};
    for (const dimension of plan.dimensions) dims[dimension] = contribution.dims[dimension] ?? '';
    for (const { target, rows } of plan.targets) {
      const { grains } = target;
      const targetDims = target.dimensions === plan.dimensions ? dims : pick(dims, target.dimensions);
      // NUL cannot occur in a valid fact's text (`validateEvent` refuses it): the joined key is unambiguous.
      let dimsKey = '';
      for (const dimension of target.dimensions) dimsKey += `\u0000${targetDims[dimension]}`;
      for (let g = 0; g < grains.length; g++) {
        const grain = grains[g];
        const bucketMs = target.days ? target.days.startOf(time) : Math.floor(time / GRAIN_MS[grain]) * GRAIN_MS[grain];
        if (bucketMs === null) continue;
        const key = `${bucketMs}/${dimsKey}`;
        let delta = rows[g].get(key);
        if (delta === undefined) {
          delta = { rollup: target.name, grain, bucket: new Date(bucketMs), dims: targetDims, values: { ...values } };
          rows[g].set(key, delta);
          this.deltas.push(delta);
        } else mergeInto(delta.values, values, plan.merges);
        if (distinct !== null) {
          const sketches = (delta.sketches ??= {});
          for (const [column, high, low] of distinct) ((sketches[column] ??= new DistinctSketch()) as DistinctSketch).addHash(high, low);
        }
        if (quantiles !== null) {
          const sketches = (delta.sketches ??= {});
          for (const [column, value] of quantiles) ((sketches[column] ??= QuantileSketch.empty()) as QuantileSketch).add(value);
        }
      }
    }
  }
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
