/**
 * The slow-first sequencer (test/support/slowFirstSequencer.cjs) orders a clean CI run by the durations in
 * test/support/testDurations.json. A table keyed by paths the sequencer never looks up (e.g. written from a
 * run in another checkout) silently gives every file the median and lets the longest ones start last, so
 * the table must name only test files there are, and the recorder must write such keys whatever
 * checkout ran.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const TABLE = path.join(ROOT, 'test/support/testDurations.json');

/** Every `*.test.ts` under test/, as `test/...` paths. */
function testFiles(dir = path.join(ROOT, 'test')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.test.ts') ? [path.relative(ROOT, full).split(path.sep).join('/')] : [];
  });
}

describe('test durations table', () => {
  // A new test file may be missing (the sequencer gives it the median until the next recorded run).
  it('should name only test files of this checkout, as the sequencer looks them up', () => {
    const measured = Object.keys((JSON.parse(readFileSync(TABLE, 'utf8')) as { seconds: Record<string, number> }).seconds);

    expect(measured.filter((file) => !testFiles().includes(file))).toEqual([]);
    expect(measured.length).toBeGreaterThan(testFiles().length / 2);
  });

  it('should record paths relative to the checkout that ran, wherever that was', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'test-durations-'));
    try {
      const results = path.join(dir, 'results.json');
      const run = (file: string, seconds: number) => ({ name: `/elsewhere/wt/verify/${file}`, startTime: 0, endTime: seconds * 1000 });
      writeFileSync(results, JSON.stringify({ testResults: [run('test/core/a.test.ts', 2.04), run('test/kit/test/b.test.ts', 9)] }));

      const table = path.join(dir, 'table.json');
      execFileSync(process.execPath, [path.join(ROOT, 'test/support/recordTestDurations.cjs'), results, 'a note', table], { cwd: dir });

      expect(JSON.parse(readFileSync(table, 'utf8'))).toEqual({ measured: 'a note', seconds: { 'test/kit/test/b.test.ts': 9, 'test/core/a.test.ts': 2 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
