import type { Bus } from '../bus/Bus.js';
import type { FactSchemas } from '../productDeclaration.js';
import type { DeadLetter, Projector, Store, StoredFact } from '../store/Store.js';
import { bucketUpdatedSubject, stateChangedSubject, type BucketUpdatedEvent, type StateChangedEvent } from './changeSubjects.js';
import type { FactCheck } from './checkDerivedMeasures.js';
import { validateEvent } from './validateEvent.js';
import { toWellFormed, wellFormedCopy } from './wellFormed.js';

/** Outcome of one event of a batch, in input order. */
export type EventOutcome =
  | { index: number; status: 'applied' | 'duplicate'; source: string; id: string }
  | { index: number; status: 'rejected'; source: string | null; id: string | null; field: string; reason: string };

/** What an ingestion call did. Nothing is half-applied: each event is applied, a duplicate, or rejected. */
export interface IngestReport {
  applied: number;
  duplicates: number;
  rejected: number;
  events: EventOutcome[];
}

/** What ingestion needs from the product. */
export interface IngestDependencies {
  domain: string;
  facts: FactSchemas;
  store: Store;
  bus: Bus;
  project: Projector;
  /** Subject dimensions per rollup, for change-event subjects. */
  subjectDimensions: Record<string, readonly string[]>;
  latenessMs: number;
  maxFutureMs: number;
  now: () => Date;
  /** Called when publishing change events fails after facts were committed (they stay applied). */
  onPublishError: (error: unknown) => void;
  /**
   * Checks a fact that passed validation before it is applied (e.g. `checkDerivedMeasures`); a
   * rejection dead-letters it like any invalid event. A throw fails the batch like a store failure.
   * @default accepts every valid fact
   */
  checkFact?: FactCheck;
}

/**
 * Validates, applies the good in one store transaction (dedupe by source+id), dead-letters the bad, then
 * publishes change events for what changed. A store failure throws and applies nothing of the batch.
 */
export async function ingestEvents(deps: IngestDependencies, rawEvents: readonly unknown[]): Promise<IngestReport> {
  const watermarkBefore = await deps.store.watermark();
  const rules = { now: deps.now(), maxFutureMs: deps.maxFutureMs, latenessMs: deps.latenessMs, watermark: watermarkBefore };
  const outcomes = new Array<EventOutcome>(rawEvents.length);
  // The valid facts and their indexes in the input, side by side (no pair object per fact).
  const goodFacts: StoredFact[] = [];
  const goodIndexes: number[] = [];
  const deadLetters: DeadLetter[] = [];
  for (let index = 0; index < rawEvents.length; index++) {
    const raw = rawEvents[index];
    const validated = validateEvent(raw, deps.facts, rules);
    const rejection = validated.ok ? (deps.checkFact?.(validated.fact) ?? null) : validated.rejection;
    if (validated.ok && !rejection) {
      goodFacts.push(validated.fact);
      goodIndexes.push(index);
      continue;
    }
    const who = validated.ok
      ? { source: validated.fact.source, id: validated.fact.id, type: validated.fact.type }
      : { source: validated.source, id: validated.id, type: validated.type };
    const reported = { field: toWellFormed(rejection!.field), reason: toWellFormed(rejection!.reason) };
    const source = who.source === null ? null : toWellFormed(who.source);
    const id = who.id === null ? null : toWellFormed(who.id);
    outcomes[index] = { index, status: 'rejected', source, id, ...reported };
    // A rejected event's text may not be storable as is (lone surrogates): the dead letter keeps it readable.
    const type = who.type === null ? null : toWellFormed(who.type);
    deadLetters.push({ receivedAt: rules.now, source, id, type, reason: reported.reason, event: wellFormedCopy(raw) });
  }

  const result = await deps.store.apply(goodFacts, deps.project);
  // Kept only once the batch committed: a micro-batch the store refused runs again request by request
  // (`createIngestBatcher.ts`), which must not keep its dead letters twice.
  for (const letter of deadLetters) await deps.store.recordDeadLetter(letter);
  const isApplied = appliedFacts(goodFacts, result.applied);
  for (let i = 0; i < goodFacts.length; i++) {
    const fact = goodFacts[i];
    const index = goodIndexes[i];
    outcomes[index] = { index, status: isApplied(fact) ? 'applied' : 'duplicate', source: fact.source, id: fact.id };
  }
  await publishChanges(deps, result.projection, watermarkBefore).catch(deps.onPublishError);

  const count = (status: EventOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  return { applied: count('applied'), duplicates: count('duplicate'), rejected: count('rejected'), events: outcomes };
}

/**
 * Tells which of the batch's facts the store applied; each is asked about once, in batch order. The first
 * occurrence of a key in the batch is the applied one, repeats are duplicates. The stores return the very
 * fact objects they were given, so a fact is found by identity, without a key string per fact; an applied
 * fact that is not one of them (a store returning copies) is matched by its key instead.
 */
function appliedFacts(facts: readonly StoredFact[], applied: readonly StoredFact[]): (fact: StoredFact) => boolean {
  const given = new Set(facts);
  const byIdentity = new Set<StoredFact>();
  const byKey = new Set<string>();
  for (const fact of applied) {
    if (given.has(fact)) byIdentity.add(fact);
    else byKey.add(`${fact.source}\u0000${fact.id}`);
  }
  return (fact) => byIdentity.has(fact) || (byKey.size > 0 && byKey.delete(`${fact.source}\u0000${fact.id}`));
}

/** Publishes in flight at once: enough to hide broker round trips, bounded to keep memory flat. */
const PUBLISH_WINDOW = 500;

/**
 * A batch yields at most one change event per (rollup, minute bucket, dimensions) and per state key, so
 * events of one batch carry no order among themselves: they are published concurrently (a broker's
 * acknowledgement round trip per event would otherwise bound ingestion). Batches stay in order because
 * ingestion returns only after all of its events are accepted.
 */
async function publishChanges(deps: IngestDependencies, projection: Awaited<ReturnType<Projector>>, watermarkBefore: Date | null): Promise<void> {
  const revisedBefore = watermarkBefore ? Math.floor(watermarkBefore.getTime() / 60_000) * 60_000 : -Infinity;
  const subjects: string[] = [];
  const events: Array<BucketUpdatedEvent | StateChangedEvent> = [];
  // A batch's buckets share few subjects (one per rollup and subject dimension values): built once each,
  // found by the rollup, then each subject dimension's value (no key string per delta).
  const bucketSubjects = new Map<string, SubjectIndex>();
  for (const delta of projection.deltas) {
    // Projections (absent from this map of declared rollups) are internal: their rollup's events cover them.
    if (delta.grain !== 'minute' || !(delta.rollup in deps.subjectDimensions)) continue;
    const dimensions = deps.subjectDimensions[delta.rollup] ?? [];
    let level = bucketSubjects.get(delta.rollup);
    if (level === undefined) bucketSubjects.set(delta.rollup, (level = new Map() as SubjectIndex));
    for (const dimension of dimensions) {
      const value = delta.dims[dimension] ?? '';
      let next = level.get(value) as SubjectIndex | undefined;
      if (next === undefined) level.set(value, (next = new Map()));
      level = next;
    }
    let subject = level.get(SUBJECT) as string | undefined;
    if (subject === undefined) {
      const tokens = dimensions.map((d) => delta.dims[d] ?? '');
      level.set(SUBJECT, (subject = bucketUpdatedSubject(deps.domain, delta.rollup, tokens)));
    }
    subjects.push(subject);
    events.push({ rollup: delta.rollup, bucket: delta.bucket.toISOString(), dims: delta.dims, revision: delta.bucket.getTime() < revisedBefore });
  }
  const stateSubjects = new Map<string, string>();
  for (const write of projection.states) {
    let subject = stateSubjects.get(write.state);
    if (subject === undefined) stateSubjects.set(write.state, (subject = stateChangedSubject(deps.domain, write.state)));
    subjects.push(subject);
    events.push({ state: write.state, key: write.key, value: write.value, previous: write.previous ?? null, updatedAt: write.updatedAt.toISOString() });
  }
  for (let i = 0; i < events.length; i += PUBLISH_WINDOW) {
    const window: Array<Promise<unknown>> = [];
    for (let j = i; j < Math.min(i + PUBLISH_WINDOW, events.length); j++) window.push(deps.bus.publish(subjects[j], events[j]));
    await Promise.all(window);
  }
}

/** Subjects of one rollup's bucket events by subject dimension values, the subject itself under `SUBJECT`. */
type SubjectIndex = Map<string | typeof SUBJECT, unknown>;
const SUBJECT = Symbol('subject');
