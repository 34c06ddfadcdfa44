import { parse } from 'graphql';
import { readLinks } from '../../core/graphql/readLinks.js';

describe('readLinks', () => {
  it('should read url, namespace and imports (plain and renamed) from schema definitions and extensions', () => {
    const document = parse(`
      extend schema
        @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", { name: "@requiresScopes", as: "@scopes" }, { as: "@nameless" }, 3])
      schema @link(url: "https://example.com/classification/v1.0", as: "cls") { query: Query }
      type Query { a: Int }
    `);

    expect(readLinks(document)).toEqual([
      {
        url: 'https://specs.apollo.dev/federation/v2.9',
        imports: [
          { name: '@key', alias: '@key' },
          { name: '@requiresScopes', alias: '@scopes' },
        ],
      },
      { url: 'https://example.com/classification/v1.0', as: 'cls', imports: [] },
    ]);
  });

  it('should leave out links without a string url and other directives', () => {
    const document = parse(`extend schema @link(url: 42) @link(import: ["@key"]) @other(url: "https://x/y/v1.0")`);

    expect(readLinks(document)).toEqual([]);
  });
});
