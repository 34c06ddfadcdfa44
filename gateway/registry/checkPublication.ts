import type { GraphQLSchema } from 'graphql';
import { composeSubgraphs, parseSupergraph, type SubgraphSdl } from '../../core/apollo/index.js';
import { describeBreakingChanges } from '../supergraph/describeBreakingChanges.js';

/** What a publication is checked with. */
export interface PublicationCheckInput {
  /** The subgraph as published. */
  candidate: SubgraphSdl & { descriptor: Record<string, unknown> };
  /** Every other subgraph of the supergraph (configured, published, served by the gateway itself). */
  others: readonly SubgraphSdl[];
  /** The client-facing schema in service, to find breaking changes against; null: nothing to break. */
  live: GraphQLSchema | null;
  /** Accept breaking changes (a rollback is an explicit undo), reporting them. @default false */
  allowBreaking?: boolean;
}

/** The verdict: the supergraph the publication makes (and what it breaks, when allowed), or every problem found. */
export type PublicationCheck = { ok: true; supergraphSdl: string; breaking: string[]; overrides: string[] } | { ok: false; problems: string[] };

/**
 * Fields the subgraph takes over from others with `@override` (`Type.field <- from`), read from the
 * composed supergraph (`@join__field(graph: X, override: "from")`), so an import alias cannot hide one.
 */
export function overriddenFields(supergraphSdl: string, subgraph: string): string[] {
  const graph = new RegExp(`^\\s*(\\w+) @join__graph\\(name: ${JSON.stringify(subgraph).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm').exec(supergraphSdl)?.[1];
  if (!graph) return [];
  const taken: string[] = [];
  let type = '';
  for (const line of supergraphSdl.split('\n')) {
    const declared = /^(?:type|interface|extend type) (\w+)/.exec(line);
    if (declared) type = declared[1];
    const field = new RegExp(`^\\s+(\\w+)[(:].*@join__field\\(graph: ${graph}\\b[^)]*override: "([^"]+)"`).exec(line);
    if (field) taken.push(`${type}.${field[1]} <- ${field[2]}`);
  }
  return taken;
}

const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');

/**
 * Decides whether a subgraph may be published, collecting every problem rather than stopping at the
 * first: a descriptor without an owner (team and contact), SDL that does not compose with the others,
 * and changes that break clients of the supergraph in service (graphql-js `findBreakingChanges`, e.g.
 * `FIELD_REMOVED: Product.name was removed.`). Pure: no I/O.
 */
export function checkPublication(input: PublicationCheckInput): PublicationCheck {
  const { candidate, others, live, allowBreaking = false } = input;
  const problems: string[] = [];
  const owner = (candidate.descriptor.owner ?? {}) as Record<string, unknown>;
  if (!text(owner.team)) problems.push('DESCRIPTOR_OWNER_MISSING: descriptor.owner.team is required (the team that answers for the data product)');
  if (!text(owner.contact)) problems.push('DESCRIPTOR_OWNER_MISSING: descriptor.owner.contact is required (how consumers reach the owner)');
  const composed = composeAgainstLive([...others.filter((s) => s.name !== candidate.name), candidate], live);
  if (!composed.ok) return { ok: false, problems: [...problems, ...composed.problems] };
  const { supergraphSdl, breaking } = composed;
  if (!allowBreaking) problems.push(...breaking);
  return problems.length ? { ok: false, problems } : { ok: true, supergraphSdl, breaking, overrides: overriddenFields(supergraphSdl, candidate.name) };
}

/**
 * Composes `subgraphs` and lists what the result breaks for clients of `live` (graphql-js
 * `findBreakingChanges`, e.g. `FIELD_REMOVED: Product.name was removed.`; none without `live`), or the
 * composition's problems, one line each: what a publication and a retirement are both checked with.
 */
export function composeAgainstLive(
  subgraphs: readonly SubgraphSdl[],
  live: GraphQLSchema | null,
): { ok: true; supergraphSdl: string; breaking: string[] } | { ok: false; problems: string[] } {
  const composed = composeSubgraphs(subgraphs);
  const unprefixed = (line: string) => line.replace(/^- /, '');
  // The composition report's first line is its heading; the breaking changes' report has none.
  if (!composed.ok) return { ok: false, problems: composed.report.split('\n').slice(1).map(unprefixed) };
  const breaking = live ? describeBreakingChanges(live, parseSupergraph(composed.supergraphSdl).apiSchema).split('\n').filter(Boolean).map(unprefixed) : [];
  return { ok: true, supergraphSdl: composed.supergraphSdl, breaking };
}
