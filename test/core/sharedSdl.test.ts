import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kind, parse } from 'graphql';
import { readSubgraphSdl } from '../../core/graphql/readSubgraphSdl.js';
import { withSharedTypeDefs } from '../../core/graphql/withSharedTypeDefs.js';
import { composeSchemaDir } from '../../gateway/supergraph/composeSchemaDir.js';
import { domainUrls } from '../../subgraphs/domains.js';
import { loadTypeDefs } from '../../subgraphs/kit/graphql/loadTypeDefs.js';

const SHARED = `"A timestamp."\nscalar DateTime\n\nenum Granularity { HOUR DAY }\n\ninput TimeRangeInput { from: DateTime! to: DateTime! }\n`;
const names = (sdl: string) => parse(sdl).definitions.flatMap((d) => ('name' in d && d.name ? [d.name.value] : []));

describe('the shared SDL preamble', () => {
  it('should append the shared types a subgraph uses, and the ones they use, with their descriptions', () => {
    const sdl = withSharedTypeDefs('type Query { history(range: TimeRangeInput!): Int }', SHARED);
    expect(names(sdl)).toEqual(['Query', 'DateTime', 'TimeRangeInput']);
    expect(sdl).toContain('"A timestamp."\nscalar DateTime');
  });

  it('should append nothing to a subgraph that uses no shared type, and skip a type it defines itself', () => {
    expect(withSharedTypeDefs('type Query { n: Int }', SHARED)).toBe('type Query { n: Int }');
    expect(names(withSharedTypeDefs('scalar DateTime\ntype Query { at: DateTime g: Granularity }', SHARED))).toEqual(['DateTime', 'Query', 'Granularity']);
  });

  it('should append a shared directive the subgraph applies, with the types its arguments use', () => {
    const shared = `${SHARED}\ndirective @classification(level: Level!) on FIELD_DEFINITION\n\nenum Level { PUBLIC PII }\n\nenum classification { A }\n`;
    expect(names(withSharedTypeDefs('type Query { email: String @classification(level: PII) }', shared))).toEqual(['Query', 'classification', 'Level']);
    // A type named like the directive is another name: neither brings the other.
    const typeOnly = withSharedTypeDefs('type Query { c: classification }', shared);
    expect(typeOnly).toContain('enum classification');
    expect(typeOnly).not.toContain('directive @classification');
  });

  it('should leave SDL that does not parse as it is, so its error keeps its line', () => {
    expect(withSharedTypeDefs('type Query {', SHARED)).toBe('type Query {');
  });

  it('should declare the shared history types once, in schema/shared.graphql only', () => {
    const shared = [
      'classification',
      'ClassificationLevel',
      'DateTime',
      'Granularity',
      'TimeRangeInput',
      'ComparePeriod',
      'RollingWindowInput',
      'MeasureChange',
    ];
    expect(names(readFileSync('schema/shared.graphql', 'utf8'))).toEqual(shared);
    for (const domain of ['catalog', 'orders', 'inventory', 'shipping']) {
      expect([domain, names(readFileSync(`schema/${domain}.graphql`, 'utf8')).filter((n) => shared.includes(n))]).toEqual([domain, []]);
    }
  });

  it('should give the kit the domain SDL with the shared types composed in', () => {
    const typeDefs = loadTypeDefs(path.resolve('schema'), 'orders');
    const defined = typeDefs.definitions.flatMap((d) =>
      d.kind === Kind.SCALAR_TYPE_DEFINITION || d.kind === Kind.ENUM_TYPE_DEFINITION || d.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION ? [d.name.value] : [],
    );
    expect(defined).toEqual(expect.arrayContaining(['DateTime', 'Granularity', 'TimeRangeInput']));
    expect(names(readSubgraphSdl(path.resolve('schema'), 'catalog'))).toContain('DateTime');
  });

  it('should compose the checked-in schema folder into the checked-in supergraph, byte for byte', () => {
    const result = composeSchemaDir({ schemaDir: path.resolve('schema'), urls: domainUrls() });
    expect(result).toMatchObject({ ok: true, breaking: '' });
    expect((result as { supergraphSdl: string }).supergraphSdl).toBe(readFileSync('schema/supergraph.graphql', 'utf8'));
  });

  it('should not compose shared.graphql as a subgraph of its own', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'shared-sdl-'));
    try {
      writeFileSync(path.join(dir, 'shared.graphql'), SHARED);
      writeFileSync(
        path.join(dir, 'clock.graphql'),
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])\ntype Query { now: DateTime }',
      );
      const result = composeSchemaDir({ schemaDir: dir, urls: { clock: 'http://127.0.0.1:4099/graphql' }, localSubgraphs: [] });
      expect(result.ok).toBe(true);
      const sdl = (result as { supergraphSdl: string }).supergraphSdl;
      expect(sdl).toContain('scalar DateTime');
      expect(sdl).not.toMatch(/name: "shared"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
