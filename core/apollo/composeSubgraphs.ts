import { composeServices } from '@apollo/composition';
import { parse, type DocumentNode } from 'graphql';

/** A subgraph's SDL as it serves it (`_service { sdl }`) or as its file holds it. */
export interface SubgraphSdl {
  name: string;
  url: string;
  sdl: string;
}

/** Composition outcome: a supergraph, or a report a person can act on. */
export type CompositionResult = { ok: true; supergraphSdl: string; hints: string[] } | { ok: false; report: string };

/**
 * Composes subgraphs into a Federation v2 supergraph. Syntax errors name the subgraph; composition errors
 * are listed one per line with their code, so a domain team sees exactly what to fix.
 */
export function composeSubgraphs(subgraphs: readonly SubgraphSdl[]): CompositionResult {
  const parsed: Array<{ name: string; url: string; typeDefs: DocumentNode }> = [];
  const syntax: string[] = [];
  for (const s of subgraphs) {
    try {
      parsed.push({ name: s.name, url: s.url, typeDefs: parse(s.sdl) });
    } catch (error) {
      syntax.push(`- [${s.name}] GRAPHQL_SYNTAX: ${(error as Error).message}`);
    }
  }
  if (syntax.length) return { ok: false, report: `the schema does not compose: ${syntax.length} subgraph(s) have syntax errors\n${syntax.join('\n')}` };
  const result = composeServices(parsed);
  if (result.errors?.length) {
    const lines = result.errors.map((e) => `- ${(e.extensions?.code as string | undefined) ?? 'COMPOSITION_ERROR'}: ${e.message}`);
    return { ok: false, report: `the schema does not compose: ${result.errors.length} error(s)\n${lines.join('\n')}` };
  }
  return { ok: true, supergraphSdl: result.supergraphSdl!, hints: (result.hints ?? []).map((h) => h.toString()) };
}
