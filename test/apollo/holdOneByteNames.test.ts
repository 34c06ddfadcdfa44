/**
 * The names of a supergraph stay one-byte strings in V8's string table after @apollo/federation-internals
 * has built and validated it (core/apollo/holdOneByteNames.ts), so the gateway's answers, whose keys are
 * those names, serialise to one-byte JSON (issue #11: two-byte JSON cost ~1.3 ms more per heavy answer).
 * V8's own serialiser tells the two apart: a one-byte string is written with the tag `"`, a two-byte one
 * with `c`. Every test uses names no other code in this process has used. Whether federation-internals
 * alone leaves them two-byte depends on V8's state (it did in the gateway benchmark, and not in a CI run
 * with coverage on), so no test asserts that side: only that the gateway's names are one-byte.
 */
import { randomBytes } from 'node:crypto';
import { serialize } from 'node:v8';
import { composeSubgraphs, parseSupergraph } from '../../core/apollo/index.js';

const ONE_BYTE_TAG = 0x22;
/** The tag V8's serialiser wrote for a string, after its two header bytes (and any padding before a two-byte string). */
const tagOf = (text: string) =>
  serialize(text)
    .subarray(2)
    .find((byte) => byte !== 0)!;
/** The representation of the table's entry for `text`: what every property key with that text is. */
const keyTag = (text: string) => tagOf(Object.keys({ [text]: true })[0]);

/** A subgraph whose type and field names carry `suffix`, so they are new to the string table. */
const subgraph = (suffix: string) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])
  type Thing${suffix} @key(fields: "id") { id: ID! label${suffix}: String price${suffix}: Int }
  type Query { things${suffix}(first: Int = 5): [Thing${suffix}] }`;

const compose = (suffix: string): string => {
  const composed = composeSubgraphs([{ name: 'things', url: 'http://127.0.0.1:9/things', sdl: subgraph(suffix) }]);
  if (!composed.ok) throw new Error(composed.report);
  return composed.supergraphSdl;
};

const fresh = () => `X${randomBytes(6).toString('hex')}`;

/** The supergraph's names of `suffix`, as the test's `keyTag` reads them. */
const namesOf = (suffix: string) => [`things${suffix}`, `label${suffix}`, `price${suffix}`, `Thing${suffix}`];

test('the check tells a two-byte string from a one-byte one', () => {
  expect(tagOf('plain')).toBe(ONE_BYTE_TAG);
  expect(tagOf('\u0100 two-byte')).not.toBe(ONE_BYTE_TAG);
});

test('a supergraph parsed by the gateway keeps its names one-byte, and JSON keyed by them is one-byte', () => {
  // Composed with other names, then renamed by text: parseSupergraph is the first to see these names.
  const suffix = fresh();
  const sdl = compose('Placeholder').replaceAll('Placeholder', suffix);
  const parsed = parseSupergraph(sdl);
  expect(parsed.apiSchema.getQueryType()?.getFields()[`things${suffix}`]).toBeDefined();
  for (const name of namesOf(suffix)) expect(keyTag(name)).toBe(ONE_BYTE_TAG);
  expect(tagOf(JSON.stringify({ [`things${suffix}`]: [{ [`label${suffix}`]: 'a', [`price${suffix}`]: 1 }] }))).toBe(ONE_BYTE_TAG);
});
