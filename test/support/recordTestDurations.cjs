/**
 * Writes `testDurations.json` (read by `slowFirstSequencer.cjs`) from the `--json` output of a whole-suite run:
 *
 *   npx jest --coverage --json --outputFile=/tmp/suite.json
 *   node test/support/recordTestDurations.cjs /tmp/suite.json "2 workers, coverage, load average 2.1"
 *
 * Only the order of the figures matters to the sequencer; the note says how they were measured.
 */
const path = require('node:path');
const { readFileSync, writeFileSync } = require('node:fs');

const [input, note = ''] = process.argv.slice(2);
if (!input) {
  console.error('usage: node test/support/recordTestDurations.cjs <jest --json output> [note]');
  process.exit(2);
}
const root = path.resolve(__dirname, '../..');
const results = JSON.parse(readFileSync(input, 'utf8')).testResults;
const seconds = Object.fromEntries(
  results
    .map((r) => [path.relative(root, r.name).split(path.sep).join('/'), Math.round((r.endTime - r.startTime) / 100) / 10])
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b)),
);
const file = path.join(__dirname, 'testDurations.json');
writeFileSync(file, `${JSON.stringify({ measured: note, seconds }, null, 2)}\n`);
console.log(`wrote ${Object.keys(seconds).length} durations to ${path.relative(process.cwd(), file)}`);
