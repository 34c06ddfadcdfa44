import type { EventRejection } from './describeIssues.js';
import type { Contribution, DataProductDeclaration } from '../productDeclaration.js';
import type { StoredFact } from '../store/Store.js';
import type { ContributionMemo, ContributionResult } from '../rollups/contributionMemo.js';

/**
 * Largest magnitude of one measure sample. Beyond it a sum of a few facts loses integer precision and
 * a few hundred reach Infinity, which no GraphQL Float can carry: one such fact would poison every
 * bucket (minute, hour, day) it falls into, for every query, forever.
 */
export const MAX_MEASURE_SAMPLE = 1e15;

/** Checks a validated fact before it is applied; a rejection dead-letters it instead. */
export type FactCheck = (fact: StoredFact) => EventRejection | null;

/**
 * Derives what a fact would add to each rollup, as the projector will inside the store transaction,
 * and rejects the fact when a measure would be non-finite (strings are fine for `distinct` measures) or beyond ±`MAX_MEASURE_SAMPLE`, or when a
 * contribution throws. Checking before the transaction keeps one bad fact from failing its whole batch
 * (which producers would retry forever) and from ever reaching a rollup. With a `memo`, an accepted fact's
 * results are kept for the projector given the same memo (`createProjector`), which then does not derive them again.
 */
export function checkDerivedMeasures(definition: Pick<DataProductDeclaration, 'rollups'>, memo?: ContributionMemo): FactCheck {
  const rollups = Object.entries(definition.rollups ?? {});
  return (fact) => {
    const results: ContributionResult[] = new Array<ContributionResult>(rollups.length);
    for (let r = 0; r < rollups.length; r++) {
      const [name, rollup] = rollups[r];
      const contribute = rollup.contributions[fact.type];
      if (!contribute) continue;
      let result: Contribution | Contribution[] | null;
      try {
        result = contribute(fact.data, fact.time);
      } catch {
        return { field: 'data', reason: `data: rollup "${name}" cannot derive its measures from this fact` };
      }
      results[r] = result;
      if (result === null) continue;
      if (!Array.isArray(result)) {
        const rejection = checkContribution(name, rollup.measures, result);
        if (rejection !== null) return rejection;
        continue;
      }
      for (const contribution of result) {
        const rejection = checkContribution(name, rollup.measures, contribution);
        if (rejection !== null) return rejection;
      }
    }
    memo?.remember(fact, results);
    return null;
  };
}

/** The first sample of one contribution a rollup cannot take, as a rejection; walked without copying its values. */
function checkContribution(name: string, measures: Record<string, string>, contribution: Contribution): EventRejection | null {
  const values = contribution.values;
  for (const measure in values) {
    if (!Object.hasOwn(values, measure)) continue;
    const sample = values[measure];
    // A distinct count takes any string (it is hashed, never summed); an unknown measure fails the projector.
    if (measures[measure] === 'distinct' && typeof sample === 'string') continue;
    if (typeof sample !== 'number' || !Number.isFinite(sample)) {
      return { field: 'data', reason: `data: measure "${measure}" of rollup "${name}" would be ${String(sample)}, not a finite number` };
    }
    if (Math.abs(sample) > MAX_MEASURE_SAMPLE) {
      return { field: 'data', reason: `data: measure "${measure}" of rollup "${name}" would be ${sample}, beyond ±${MAX_MEASURE_SAMPLE}` };
    }
  }
  return null;
}
