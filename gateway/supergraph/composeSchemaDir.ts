import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readSubgraphSdl } from '../../core/graphql/readSubgraphSdl.js';
import { SHARED_SDL_FILE } from '../../core/graphql/withSharedTypeDefs.js';
import { composeSubgraphs, type CompositionResult, type SubgraphSdl } from '../../core/apollo/index.js';
import { describeBreakingChanges } from './describeBreakingChanges.js';
import { catalogLocalSubgraph } from '../catalog/createCatalog.js';

/** Options of composing the SDL files of a schema folder. */
export interface ComposeSchemaDirOptions {
  /**
   * Folder with one `<subgraph>.graphql` per subgraph; `supergraph.graphql` there is the output, and
   * `shared.graphql` the types subgraphs share (composed into each file that uses them).
   */
  schemaDir: string;
  /**
   * Routing URL per subgraph name, one for every `<name>.graphql` of the folder. There is no default: a
   * URL guessed from the file order once routed orders to the inventory port (issue #14), so a file
   * without a URL, or a URL without a file, is refused with a report naming it.
   */
  urls: Readonly<Record<string, string>>;
  /** Accept breaking changes against the existing supergraph. @default false */
  allowBreaking?: boolean;
  /** Subgraphs the gateway serves itself, composed beside the files. @default the data product catalog */
  localSubgraphs?: SubgraphSdl[];
}

/** The result: a supergraph to write, or a report of why not. */
export type ComposeSchemaDirResult = (CompositionResult & { ok: true; breaking: string }) | { ok: false; report: string };

/**
 * Composes every `<name>.graphql` of a folder except `supergraph.graphql` and `shared.graphql`, and compares the result with
 * the existing supergraph: breaking changes for clients are refused unless allowed.
 */
export function composeSchemaDir(options: ComposeSchemaDirOptions): ComposeSchemaDirResult {
  const { schemaDir, urls, allowBreaking = false, localSubgraphs = [catalogLocalSubgraph] } = options;
  const files = readdirSync(schemaDir)
    .filter((f) => f.endsWith('.graphql') && f !== 'supergraph.graphql' && f !== SHARED_SDL_FILE)
    .sort();
  if (!files.length) return { ok: false, report: `no <subgraph>.graphql files in ${schemaDir}` };
  const names = files.map((file) => path.basename(file, '.graphql'));
  const unrouted = names.filter((name) => !urls[name]);
  const unknown = Object.keys(urls).filter((name) => !names.includes(name));
  if (unrouted.length || unknown.length) {
    const lines = [
      ...unrouted.map((name) => `- NO_ROUTING_URL: subgraph "${name}" (${path.join(schemaDir, `${name}.graphql`)}) has no URL`),
      ...unknown.map((name) => `- NO_SCHEMA_FILE: subgraph "${name}" has a URL (${urls[name]}) but no ${path.join(schemaDir, `${name}.graphql`)}`),
    ];
    return { ok: false, report: `the subgraphs and their URLs do not match:\n${lines.join('\n')}` };
  }
  const subgraphs = names.map((name) => ({ name, url: urls[name], sdl: readSubgraphSdl(schemaDir, name) }));
  const composed = composeSubgraphs([...subgraphs, ...localSubgraphs]);
  if (!composed.ok) return composed;
  const existing = path.join(schemaDir, 'supergraph.graphql');
  let breaking = '';
  try {
    breaking = existsSync(existing) ? describeBreakingChanges(readFileSync(existing, 'utf8'), composed.supergraphSdl) : '';
  } catch (error) {
    // Nothing to compare with: refuse unless told, since clients of a working gateway may use any field.
    if (!allowBreaking)
      return { ok: false, report: `the current supergraph ${existing} is not a supergraph (${(error as Error).message}); pass --allow-breaking to replace it` };
  }
  if (breaking && !allowBreaking) {
    return { ok: false, report: `the change breaks clients of the current supergraph (pass --allow-breaking to accept):\n${breaking}` };
  }
  return { ...composed, breaking };
}
