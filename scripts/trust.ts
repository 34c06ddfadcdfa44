/**
 * Registers a client's operations as trusted documents: `npm run trust -- [--file <store>] <inputs...>`,
 * where each input is a `.graphql` file (every named operation in it, with the fragments it uses from
 * any input) or an Apollo persisted query manifest (`.json`). The store (default
 * `config/trusted-documents.json`, or `MESH_TRUSTED_DOCUMENTS_FILE`) is created or extended; a running
 * gateway picks it up within seconds. Prints each operation's id (what clients send as
 * `extensions.persistedQuery.sha256Hash` or `documentId`).
 */
import path from 'node:path';
import { DEFAULT_TRUSTED_DOCUMENTS_FILE } from '../gateway/limits/limitsConfigFromEnv.js';
import { registerTrustedDocuments } from './registerTrustedDocuments.js';

try {
  const args = process.argv.slice(2);
  const at = args.indexOf('--file');
  const file = path.resolve(at >= 0 ? (args.splice(at, 2)[1] ?? '') : process.env.MESH_TRUSTED_DOCUMENTS_FILE || DEFAULT_TRUSTED_DOCUMENTS_FILE);
  const { added, operations } = registerTrustedDocuments(file, args);
  for (const op of operations) console.log(`${op.id}  ${op.type} ${op.name}`);
  console.log(`${added} new operation(s) registered in ${file}`);
} catch (error) {
  process.stderr.write(`trust: ${(error as Error).message}\n`);
  process.exit(1);
}
