import type { Bus } from '../bus/Bus.js';
import type { DataProductDeclaration } from '../productDeclaration.js';
import { bucketUpdatedSubject, stateChangedSubject, type BucketUpdatedEvent, type StateChangedEvent } from '../ingest/changeSubjects.js';
import type { Projector, RebuildRange, RebuildResult, Retraction, RetractionResult, Reprojector, RevisedBucket, StateRepair, Store } from '../store/Store.js';

/** What the repair of a product needs from it. */
export interface ProductRepairDependencies {
  domain: string;
  definition: DataProductDeclaration;
  store: Store;
  bus: Bus;
  /** The projector ingestion uses, so a repair computes exactly what ingestion would have. */
  project: Projector;
  /** Clock for retraction times. */
  now: () => Date;
  /** Called when change events could not be published after a repair committed (it stays committed). */
  onPublishError: (error: unknown) => void;
}

/** The repair commands of a data product: transport-free, the admin route and tests call them. */
export interface ProductRepair {
  /** Retracts the fact stored under source + id and repairs what it touched; publishes revisions. */
  retract(source: string, id: string, reason: string): Promise<RetractionResult>;
  /** Lifts a retraction: the fact counts again; publishes revisions. */
  restore(source: string, id: string): Promise<RetractionResult>;
  /** Rebuilds the rollups of a range (default: all facts) from the stored facts; publishes revisions per batch. */
  rebuild(range: RebuildRange): Promise<RebuildResult>;
  /** Retractions in force, most recent first. */
  retractions(limit: number): Promise<Retraction[]>;
}

/** Publishes in flight at once, as ingestion does. */
const PUBLISH_WINDOW = 500;

export function productRepair(deps: ProductRepairDependencies): ProductRepair {
  const { domain, definition, store, bus, project, now, onPublishError } = deps;
  const stateFactTypes = [...new Set(Object.values(definition.states ?? {}).flatMap((state) => Object.keys(state.reducers)))];
  const reprojector: Reprojector = { project, stateFactTypes };

  /**
   * Change events for what a repair changed, as ingestion publishes a late fact's: a bucket-updated event
   * flagged `revision` per changed minute row, and a state-changed event per recomputed state. A state left
   * without any fact is deleted and has no event (the event type carries a value).
   */
  const publish = async (revised: RevisedBucket[], states: StateRepair[]) => {
    const events: Array<[string, BucketUpdatedEvent | StateChangedEvent]> = [];
    for (const { rollup, bucket, dims } of revised) {
      const tokens = (definition.rollups?.[rollup]?.subjectDimensions ?? []).map((d) => dims[d] ?? '');
      events.push([bucketUpdatedSubject(domain, rollup, tokens), { rollup, bucket: bucket.toISOString(), dims, revision: true }]);
    }
    for (const { state, key, value, previous, updatedAt } of states) {
      if (value === null || updatedAt === null) continue;
      events.push([stateChangedSubject(domain, state), { state, key, value, previous, updatedAt: updatedAt.toISOString() }]);
    }
    for (let i = 0; i < events.length; i += PUBLISH_WINDOW) {
      await Promise.all(events.slice(i, i + PUBLISH_WINDOW).map(([subject, event]) => bus.publish(subject, event)));
    }
  };
  const published = async (result: RetractionResult) => {
    await publish(result.revised, result.states).catch(onPublishError);
    return result;
  };

  return {
    retract: async (source, id, reason) => published(await store.retract({ source, id }, reason, now(), reprojector)),
    restore: async (source, id) => published(await store.restore({ source, id }, reprojector)),
    rebuild: (range) => store.rebuild(range, reprojector, (batch) => publish(batch.revised, []).catch(onPublishError)),
    retractions: (limit) => store.retractions(limit),
  };
}
