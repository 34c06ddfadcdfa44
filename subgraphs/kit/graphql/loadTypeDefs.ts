import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, type DocumentNode } from 'graphql';

/** Parses `<schemaDir>/<domain>.graphql`, naming the file in any syntax error. */
export function loadTypeDefs(schemaDir: string, domain: string): DocumentNode {
  const file = path.join(schemaDir, `${domain}.graphql`);
  const sdl = readFileSync(file, 'utf8');
  try {
    return parse(sdl);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  }
}
