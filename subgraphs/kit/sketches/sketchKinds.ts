import { DistinctSketch } from './DistinctSketch.js';
import { QuantileSketch } from './QuantileSketch.js';

/** How a sketch column merges: `hll` a distinct-count sketch, `ddsketch` a percentile sketch. */
export type SketchKind = 'hll' | 'ddsketch';

export const SKETCH_KINDS: readonly SketchKind[] = ['hll', 'ddsketch'];

/** A mergeable summary stored in a rollup's sketch column. */
export type Sketch = DistinctSketch | QuantileSketch;

export function emptySketch(kind: SketchKind): Sketch {
  return kind === 'hll' ? new DistinctSketch() : QuantileSketch.empty();
}

export function decodeSketch(kind: SketchKind, bytes: Uint8Array): Sketch {
  return kind === 'hll' ? DistinctSketch.decode(bytes) : QuantileSketch.decode(bytes);
}

/** Folds `from` into `into`; both must be of the same kind (a layout's column has one kind). */
export function mergeSketch(into: Sketch, from: Sketch): void {
  if (into instanceof DistinctSketch && from instanceof DistinctSketch) into.merge(from);
  else if (into instanceof QuantileSketch && from instanceof QuantileSketch) into.merge(from);
  else throw new Error('cannot merge sketches of different kinds');
}

export function isSketch(value: unknown): value is Sketch {
  return value instanceof DistinctSketch || value instanceof QuantileSketch;
}

export function sketchKind(sketch: Sketch): SketchKind {
  return sketch instanceof DistinctSketch ? 'hll' : 'ddsketch';
}
