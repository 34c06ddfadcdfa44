/**
 * Writes `testDurations.json` (read by `slowFirstSequencer.cjs`) from the `--json` output of a whole-suite run:
 *
 *   npx jest --json --outputFile=/tmp/suite.json
 *   node test/support/recordTestDurations.cjs /tmp/suite.json "3 workers, no coverage, load average 2.1"
 *
 * Only the order of the figures matters to the sequencer; the note says how they were measured. Paths are
 * written relative to the root of the checkout that ran (the folder holding its `test/`), not to this one:
 * a run in another worktree or a CI clone must give the keys the sequencer looks up (`test/...`).
 */
const path = require('node:path');
const { readFileSync, writeFileSync } = require('node:fs');

const [input, note = '', output = path.join(__dirname, 'testDurations.json')] = process.argv.slice(2);
if (!input) {
  console.error('usage: node test/support/recordTestDurations.cjs <jest --json output> [note] [table, default testDurations.json]');
  process.exit(2);
}
const results = JSON.parse(readFileSync(input, 'utf8')).testResults;
/** The checkout that ran: every test file sits under its `test/` (jest.config.cjs `roots`), so the folders of all share it. */
function runRoot(files) {
  const common = files
    .map((file) => path.dirname(file).split(path.sep))
    .reduce((shared, parts) => {
      const differs = shared.findIndex((part, i) => part !== parts[i]);
      return differs === -1 ? shared : shared.slice(0, differs);
    });
  const at = common.lastIndexOf('test');
  if (at < 1) throw new Error(`the test files share no test/ folder: ${common.join(path.sep)}`);
  return common.slice(0, at).join(path.sep);
}
const root = runRoot(results.map((r) => r.name));
const seconds = Object.fromEntries(
  results
    .map((r) => [path.relative(root, r.name).split(path.sep).join('/'), Math.round((r.endTime - r.startTime) / 100) / 10])
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b)),
);
writeFileSync(output, `${JSON.stringify({ measured: note, seconds }, null, 2)}\n`);
console.log(`wrote ${Object.keys(seconds).length} durations to ${path.relative(process.cwd(), output)}`);
