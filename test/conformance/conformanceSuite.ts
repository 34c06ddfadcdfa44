/**
 * Differential conformance: every operation of the corpus (conformanceCorpus.ts) runs through each
 * executor under test and through bare @apollo/gateway on the same subgraphs, and the two responses
 * must be equal after normaliseResponse.ts (data with key order; errors by message, path and code, in
 * any order). The executors under test are our gateway (`startGateway` with auth off), one per query
 * engine (`MESH_QUERY_ENGINE`) and planner (`MESH_QUERY_PLANNER`): conformance.test.ts runs this suite
 * for every pair, so all stay conformant in CI. The subgraphs, the supergraphs and the reference are
 * started once for all of them, and the reference answers each operation once (the subgraphs never store:
 * conformanceSubgraphs.ts), so a second engine costs only its own gateways and requests.
 */
import type { QueryEngine, QueryPlannerName } from '../../gateway/engine/useMeshEngine.js';
import { allowedDifferences, knownDivergences } from './allowedDifferences.js';
import { CONFORMANCE_CORPUS, type CorpusEntry } from './conformanceCorpus.js';
import { CONFORMANCE_SCHEMAS } from './conformanceSubgraphs.js';
import { comparable, normaliseResponse, type WireResult } from './normaliseResponse.js';
import { ourGatewayExecutor } from './ourGatewayExecutor.js';
import { startConformanceMesh, type ConformanceMesh, type ExecutorFactory } from './startConformanceMesh.js';

/** One executor under test: our gateway running plans with `engine`, planned by `planner` (for the mesh engine). */
export interface EngineUnderTest {
  engine: QueryEngine;
  /** @default 'apollo' */
  planner?: QueryPlannerName;
}

/** The conformance suite for our gateway with each of `engines`, on one shared set of subgraphs and reference gateways. */
export function describeConformance(engines: readonly EngineUnderTest[]): void {
  const labelled = engines.map(({ engine, planner = 'apollo' }) => ({ engine, planner, label: `${engine} query engine, ${planner} planner` }));
  let mesh: ConformanceMesh;
  /** The reference's answer to each corpus entry, asked once and compared with every engine's. */
  const referenceAnswers = new Map<CorpusEntry, Promise<WireResult>>();
  const referenceAnswer = (entry: CorpusEntry): Promise<WireResult> => {
    let answer = referenceAnswers.get(entry);
    if (!answer) referenceAnswers.set(entry, (answer = mesh.reference[entry.schema](entry.operation, entry.variables)));
    return answer;
  };

  beforeAll(async () => {
    const factories: Record<string, ExecutorFactory> = Object.fromEntries(labelled.map((e) => [e.label, ourGatewayExecutor(e.engine, e.planner)]));
    mesh = await startConformanceMesh(factories);
  }, 120_000);
  afterAll(async () => {
    await mesh?.close();
  });

  describe.each(labelled)('conformance of our gateway ($label) with @apollo/gateway', ({ engine, label }) => {
    const ALLOWED_DIFFERENCES = allowedDifferences(engine);
    const KNOWN_DIVERGENCES = knownDivergences();

    it('should have a corpus of at least 150 uniquely named operations over every schema', () => {
      const names = new Set(CONFORMANCE_CORPUS.map((e) => e.name));
      expect(names.size).toBe(CONFORMANCE_CORPUS.length);
      expect(CONFORMANCE_CORPUS.length).toBeGreaterThanOrEqual(150);
      expect(new Set(CONFORMANCE_CORPUS.map((e) => e.schema))).toEqual(new Set(Object.keys(CONFORMANCE_SCHEMAS)));
      for (const listed of [...Object.keys(ALLOWED_DIFFERENCES), ...Object.keys(KNOWN_DIVERGENCES)]) expect(names).toContain(listed);
    });

    it('should tell different responses apart and ignore error order', () => {
      const a = {
        data: { x: 1, y: 2 },
        errors: [
          { message: 'a', path: ['x'] },
          { message: 'b', path: ['y'], extensions: { code: 'C' } },
        ],
      };
      expect(comparable(a)).toBe(comparable({ data: { x: 1, y: 2 }, errors: [a.errors[1], { ...a.errors[0], locations: [{ line: 1, column: 2 }] }] }));
      expect(comparable(a)).not.toBe(comparable({ ...a, data: { y: 2, x: 1 } }));
      expect(comparable(a)).not.toBe(comparable({ ...a, errors: [a.errors[0], { ...a.errors[1], extensions: { code: 'D' } }] }));
      expect(comparable(a)).not.toBe(comparable({ ...a, errors: [a.errors[0], { ...a.errors[1], path: ['y', 0] }] }));
      expect(comparable({ data: null })).not.toBe(comparable({}));
      expect(comparable({ data: { x: null } })).not.toBe(
        comparable({ data: { x: null }, extensions: { valueCompletion: [{ message: 'null', path: ['x'] }] } }),
      );
    });

    it('should catch an executor under test that loses errors, reorders fields or nulls a field', async () => {
      // The harness's own check: plugged with a broken executor, the comparison must fail.
      const entry = CONFORMANCE_CORPUS.find((e) => e.name === 'nested nullable field throws')!;
      const reverseKeys = (value: unknown): unknown =>
        Array.isArray(value)
          ? value.map(reverseKeys)
          : value && typeof value === 'object'
            ? Object.fromEntries(
                Object.entries(value)
                  .map(([k, v]) => [k, reverseKeys(v)])
                  .reverse(),
              )
            : value;
      const breakages: Record<string, (r: WireResult) => WireResult> = {
        'drops the errors': (r) => ({ ...r, errors: undefined }),
        'answers out of selection order': (r) => ({ ...r, data: reverseKeys(r.data) as Record<string, unknown> }),
        'nulls a field': (r) => ({ ...r, data: JSON.parse(JSON.stringify(r.data).replace('"id":"u1"', '"id":null')) as Record<string, unknown> }),
      };
      const reference = await referenceAnswer(entry);
      for (const [breakage, breakIt] of Object.entries(breakages))
        expect({ breakage, equal: comparable(breakIt(reference)) === comparable(reference) }).toEqual({ breakage, equal: false });
    });

    describe.each(CONFORMANCE_CORPUS.map((entry) => [entry.name, entry] as const))('%s', (name, entry) => {
      const allowed = ALLOWED_DIFFERENCES[name];
      const known = KNOWN_DIVERGENCES[name];
      const run = async () => {
        const [reference, tested] = await Promise.all([referenceAnswer(entry), mesh.underTest[label][entry.schema](entry.operation, entry.variables)]);
        // A corpus typo would make both refuse the operation alike: valid entries must reach execution.
        const refused = reference.data === undefined;
        expect({ refused, errors: refused ? normaliseResponse(reference).errors : [] }).toEqual({
          refused: !!entry.invalid,
          errors: entry.invalid ? expect.any(Array) : [],
        });
        return { reference: comparable(reference), tested: comparable(tested), testedErrors: normaliseResponse(tested).errors };
      };
      if (allowed)
        it(`should differ from @apollo/gateway where ours is right (${allowed.reason})`, async () => {
          const { reference, tested, testedErrors } = await run();
          expect(tested).not.toBe(reference);
          expect(testedErrors.map((e) => e.code)).toContain(allowed.code);
        });
      else if (known)
        it.failing(`should answer like @apollo/gateway (known divergence: ${known})`, async () => {
          const { reference, tested } = await run();
          expect(tested).toBe(reference);
        });
      else
        it('should answer like @apollo/gateway', async () => {
          const { reference, tested } = await run();
          expect(tested).toBe(reference);
        });
    });
  });
}
