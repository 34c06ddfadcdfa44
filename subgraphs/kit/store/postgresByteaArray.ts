import pg from 'pg';

/*
 * `bytea[]` results (a bucket query's `array_agg` of each group's stored sketches) read in one pass. The
 * driver's default parses the array text character by character (`postgres-array`) and then each element:
 * at 1M facts a Paris-day percentile query spent more time there than in merging the sketches, and the
 * more so as the sketches grow (issue #16). PostgreSQL writes a `bytea[]` in its `hex` output format as
 * `{"\\x0a1b",NULL,"\\x"}`: each element is NULL or a quoted `\\x` and hex digits, which need no
 * escaping, so the hex runs are found by position and decoded by `Buffer.from(…, 'hex')`.
 */

/** The OID of `bytea[]` (PostgreSQL's `_bytea`). */
const BYTEA_ARRAY_OID = 1001;

/**
 * Parses a one-dimensional `bytea[]` in PostgreSQL's text form with `bytea_output = 'hex'` (the default).
 * Throws on anything else (the `escape` output format, a nested array) rather than guess.
 */
export function parseByteaArray(text: string): Array<Uint8Array | null> {
  if (text[0] !== '{' || text[text.length - 1] !== '}') throw new Error(`bytea[]: not an array: ${text.slice(0, 40)}`);
  const items: Array<Uint8Array | null> = [];
  const last = text.length - 1;
  let at = 1;
  while (at < last) {
    if (text.startsWith('NULL', at)) {
      items.push(null);
      at += 4;
    } else if (text.startsWith('"\\\\x', at)) {
      const close = text.indexOf('"', at + 4);
      if (close < 0) throw new Error('bytea[]: unterminated element');
      const hex = text.slice(at + 4, close);
      if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) throw new Error(`bytea[]: element is not hex: ${hex.slice(0, 40)}`);
      items.push(Buffer.from(hex, 'hex'));
      at = close + 1;
    } else {
      throw new Error(`bytea[]: unexpected text at ${at} (is bytea_output 'hex'?): ${text.slice(at, at + 40)}`);
    }
    if (at < last) {
      if (text[at] !== ',') throw new Error(`bytea[]: expected a comma at ${at}`);
      at++;
    }
  }
  return items;
}

/** Query `types` that read `bytea[]` with {@link parseByteaArray} and everything else as the driver does. */
export const FAST_BYTEA_ARRAYS: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): ((text: string) => unknown) => {
    if (oid === BYTEA_ARRAY_OID && format !== 'binary') return parseByteaArray;
    return pg.types.getTypeParser(oid, format ?? 'text') as (text: string) => unknown;
  }) as pg.CustomTypesConfig['getTypeParser'],
};
