import { isValidDate } from './mergeRollupDeltas.js';

/*
 * Array parameters as PostgreSQL array literals (`{...}`), built here in one pass per column. The driver
 * builds the same text from a JS array, element by element through its generic value conversion and two
 * regular-expression escapes each: for a bulk apply's ten rollup tables of thousands of rows that was a
 * large share of the JavaScript time of an apply, and of its garbage (`npm run bench:ingest-statements`).
 * The statement still casts the parameter (`$1::text[]`), so the server parses it exactly as before.
 *
 * Every element but a number is quoted, so no value (an empty string, `NULL`, braces, commas, spaces)
 * can be read as anything but itself; inside quotes only `"` and `\` need a backslash.
 */

const quote = (text: string): string => (text.includes('"') || text.includes('\\') ? `"${text.replace(/["\\]/g, '\\$&')}"` : `"${text}"`);

/** `double precision[]`: null and undefined become NULL. */
export function numberArray(values: readonly (number | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    out += (i === 0 ? '' : ',') + (value === null || value === undefined ? 'NULL' : String(value));
  }
  return `${out}}`;
}

/** `text[]`, every element quoted. */
export function textArray(values: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + quote(values[i]);
  return `${out}}`;
}

/**
 * `bigint[]` of milliseconds since the epoch (see `epochMsToTimestamptz`). Throws on an invalid Date rather
 * than storing garbage, as `timestampParam` does.
 */
export function epochMsArray(values: readonly Date[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (!isValidDate(values[i])) throw new Error(`invalid timestamp: ${String(values[i])}`);
    out += (i === 0 ? '' : ',') + values[i].getTime();
  }
  return `${out}}`;
}

/** `bytea[]` in hex format; null becomes NULL. */
export function byteaArray(values: readonly (Uint8Array | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const hex = value === null ? 'NULL' : `"\\\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}"`;
    out += (i === 0 ? '' : ',') + hex;
  }
  return `${out}}`;
}
