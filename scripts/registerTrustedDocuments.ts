import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { emptyManifest, mergeManifest, operationsFromDocuments, parseManifest, type ManifestOperation } from '../gateway/limits/persistedQueryManifest.js';

/**
 * Adds the operations of `inputs` (`.graphql` files: every named operation with the fragments it uses
 * from any input; `.json`: Apollo persisted query manifests) to the trusted documents store
 * `storeFile` (created if missing), written atomically. Throws with a message naming the bad input.
 */
export function registerTrustedDocuments(storeFile: string, inputs: readonly string[]): { added: number; operations: ManifestOperation[] } {
  if (inputs.length === 0) throw new Error('usage: npm run trust -- [--file <store.json>] <operations.graphql | manifest.json>...');
  const documents = inputs.filter((f) => !f.endsWith('.json')).map((f) => ({ name: f, text: readFileSync(f, 'utf8') }));
  const operations = [
    ...operationsFromDocuments(documents),
    ...inputs.filter((f) => f.endsWith('.json')).flatMap((f) => parseManifest(readFileSync(f, 'utf8'), f).operations),
  ];
  const store = existsSync(storeFile) ? parseManifest(readFileSync(storeFile, 'utf8'), storeFile) : emptyManifest();
  const { manifest, added } = mergeManifest(store, operations);
  const temporary = `${storeFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(temporary, storeFile);
  return { added, operations };
}
