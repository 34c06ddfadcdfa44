import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SHARED_SDL_FILE, withSharedTypeDefs } from './withSharedTypeDefs.js';

/**
 * The SDL of `<schemaDir>/<name>.graphql` with the shared types it uses from `<schemaDir>/shared.graphql`
 * (when that file exists) composed in: what both the subgraph serves and `npm run compose` composes.
 */
export function readSubgraphSdl(schemaDir: string, name: string): string {
  const sdl = readFileSync(path.join(schemaDir, `${name}.graphql`), 'utf8');
  const sharedFile = path.join(schemaDir, SHARED_SDL_FILE);
  return existsSync(sharedFile) ? withSharedTypeDefs(sdl, readFileSync(sharedFile, 'utf8')) : sdl;
}
