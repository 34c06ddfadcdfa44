/**
 * `npm run -s rebuild -- <domain> [--rollup <name>] [--from <RFC 3339>] [--to <RFC 3339>]`: the same as
 * `npm run -s repair -- <domain> rebuild ...` (see `scripts/repair.ts`), which it runs.
 */
process.argv.splice(3, 0, 'rebuild');
await import('./repair.js');
