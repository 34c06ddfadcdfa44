import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';
import { readSubgraphSdl } from '../../../core/graphql/readSubgraphSdl.js';

/**
 * Parses `<schemaDir>/<domain>.graphql` with the shared types it uses from `<schemaDir>/shared.graphql`,
 * naming the file in any syntax error.
 */
export function loadTypeDefs(schemaDir: string, domain: string): DocumentNode {
  const file = path.join(schemaDir, `${domain}.graphql`);
  const sdl = readSubgraphSdl(schemaDir, domain);
  try {
    return parse(sdl);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  }
}
