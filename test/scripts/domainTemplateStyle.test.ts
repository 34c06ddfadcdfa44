/**
 * The files `npm run new-domain` writes pass the repository's Prettier check as written, whatever the
 * domain name's length (a scaffolded SDL once failed `npm run lint` before anyone had touched it).
 * Prettier runs as `npm run lint` runs it, its command line (its API loads modules jest's VM refuses).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { domainTemplate } from '../../scripts/domainTemplate.js';

const ROOT = path.resolve(__dirname, '../..');
const PRETTIER = require.resolve('prettier/bin/prettier.cjs');

/** The text as the repository's Prettier formats a file at `relative` (its config and ignore file apply). */
function formatted(relative: string, text: string): string {
  const result = spawnSync(process.execPath, [PRETTIER, '--stdin-filepath', relative], { cwd: ROOT, input: text, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`prettier failed on ${relative}: ${result.stderr}`);
  return result.stdout;
}

describe('the new-domain template', () => {
  it.each([['ab'], ['customerreturns'], ['a'.repeat(30)]])('should be formatted as Prettier formats it for the name %p', (name) => {
    for (const file of domainTemplate({ name, owner: 'Returns Desk', contact: 'returns@example.com' })) {
      expect({ path: file.path, content: formatted(file.path, file.content) }).toEqual({ path: file.path, content: file.content });
    }
  });
});
