/**
 * Subjects of a product's change events. NATS-style tokens so the JetStream bus can filter server-side:
 * `mesh.<domain>.v1.<rollup>.bucket-updated[.<dimension value>...]` and `mesh.<domain>.v1.<state>.state-changed`.
 */

/** Subject tokens may not contain `.`, `*`, `>` or whitespace; other characters pass, those become `_`. */
export function subjectToken(value: string): string {
  const token = value.replace(/[.*>\s]/g, '_');
  return token === '' ? '_' : token;
}

export function bucketUpdatedSubject(domain: string, rollup: string, tokens: readonly string[] = []): string {
  return ['mesh', domain, 'v1', rollup, 'bucket-updated', ...tokens.map(subjectToken)].join('.');
}

/** Filter matching every bucket update of a rollup, optionally narrowed by the leading subject dimensions. */
export function bucketUpdatedFilter(domain: string, rollup: string, tokens: ReadonlyArray<string | undefined>, subjectDimensionCount: number): string {
  const parts = Array.from({ length: subjectDimensionCount }, (_, i) => (tokens[i] === undefined ? '*' : subjectToken(tokens[i])));
  return ['mesh', domain, 'v1', rollup, 'bucket-updated', ...parts].join('.');
}

export function stateChangedSubject(domain: string, state: string): string {
  return ['mesh', domain, 'v1', state, 'state-changed'].join('.');
}

/** Payload of a bucket-updated change event: which minute bucket of which dimension values changed. */
export interface BucketUpdatedEvent {
  rollup: string;
  /** Minute bucket start, ISO. */
  bucket: string;
  dims: Record<string, string>;
  /** True when the bucket is older than the watermark was: a late fact revised history. */
  revision: boolean;
}

/** Payload of a state-changed change event. */
export interface StateChangedEvent {
  state: string;
  key: string;
  value: Record<string, unknown>;
  previous: Record<string, unknown> | null;
  updatedAt: string;
}
