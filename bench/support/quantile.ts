/** The value at quantile `q` (0..1) of `values` (nearest rank, from a sorted copy); NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  return [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))];
}
