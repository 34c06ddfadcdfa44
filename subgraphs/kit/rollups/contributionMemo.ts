import type { Contribution } from '../productDeclaration.js';
import type { StoredFact } from '../store/Store.js';

/** What one rollup's contribution function returned for a fact (`undefined`: the rollup takes no facts of its type). */
export type ContributionResult = Contribution | Contribution[] | null | undefined;

/**
 * What each rollup derived from a fact, kept from ingestion's check (`checkDerivedMeasures`) for the
 * projector of the same batch, so a fact's contributions are computed once instead of twice (issue #13:
 * the second call and its objects were a few per cent of the JavaScript CPU per fact).
 *
 * Keyed weakly by the fact object itself: only that very fact finds its results (a repair or a replay
 * projects facts read back from the store, which are other objects, and derives them again), and an entry
 * goes away with its fact. Results are per rollup in the order of the product's `rollups`; contributions
 * must be pure (the projector may run again for one apply), so reusing them changes nothing.
 */
export class ContributionMemo {
  private readonly byFact = new WeakMap<StoredFact, readonly ContributionResult[]>();

  /** Keeps a fact's results, one per rollup in declaration order. */
  remember(fact: StoredFact, results: readonly ContributionResult[]): void {
    this.byFact.set(fact, results);
  }

  /** The results kept for this fact object, if any. */
  recall(fact: StoredFact): readonly ContributionResult[] | undefined {
    return this.byFact.get(fact);
  }
}
