import { isDeepStrictEqual } from 'node:util';

/**
 * `expect(actual).toEqual(expected)` for large results, e.g. whole tables with sketch columns: Jest's
 * equality walks a typed array one element at a time through its generic matcher (seconds for a few
 * thousand rows), Node's strict deep equality compares it as bytes. Node's is the stricter of the two, so
 * when it holds `toEqual` would pass too; when it does not, `toEqual` runs and reports the difference.
 */
export function expectDeepEqual(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toEqual(expected);
}
