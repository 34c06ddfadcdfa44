/**
 * Jest's test sequencer, with a fallback for a fresh checkout: the longest test files start first, so no
 * worker is left running a long file alone at the end of the run (longest-processing-time-first scheduling).
 *
 * Jest orders files by how long they took on the last run on this machine (its `perf-cache` in the cache
 * directory) and, without that, by file size. A clean CI machine has no cache, and file size says little:
 * `conformance.*.test.ts` are four lines that run for a quarter of a minute each. So a file without a cached
 * duration takes the one measured in `testDurations.json` (seconds, written by `recordTestDurations.cjs`
 * from a whole-suite run's `--json` output); a file in neither (a new one) is taken to last as long as the
 * median measured file. Failed-last-time files still run first, as in Jest. Without the table, Jest's order.
 */
const path = require('node:path');
const { readFileSync } = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

/** Durations measured on a whole-suite run, in seconds, by path relative to the repository root. */
function readMeasured() {
  try {
    return JSON.parse(readFileSync(path.join(__dirname, 'testDurations.json'), 'utf8')).seconds;
  } catch {
    // No table (or a broken one): Jest's own order, as before the table existed.
    return {};
  }
}

/** The middle value of `values` (undefined when empty). */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : sorted[Math.floor(sorted.length / 2)];
}

class SlowFirstSequencer extends Sequencer {
  measured = readMeasured();
  unknown = median(Object.values(this.measured).filter((seconds) => typeof seconds === 'number'));

  /** The cached duration (ms) of the last local run, else the measured one, else the median measured one. */
  time(test) {
    const cached = super.time(test);
    if (cached != null) return cached;
    const relative = path.relative(test.context.config.rootDir, test.path).split(path.sep).join('/');
    const seconds = this.measured[relative] ?? this.unknown;
    return typeof seconds === 'number' ? seconds * 1000 : undefined;
  }
}

module.exports = SlowFirstSequencer;
