/**
 * Periodic progress lines for long benchmark loops (issue #12: `npm run bench` printed nothing for 12
 * minutes): `label: done/total (share), rate/s, ETA`, at most every `everyMs`, on stderr so the result
 * tables on stdout stay clean.
 */
export function benchProgress(label: string, total: number, everyMs = 5_000): (done: number) => void {
  const started = performance.now();
  let last = started;
  return (done) => {
    const now = performance.now();
    if (now - last < everyMs && done < total) return;
    last = now;
    const seconds = (now - started) / 1000;
    const rate = done / Math.max(seconds, 0.001);
    const eta = rate > 0 ? Math.round((total - done) / rate) : NaN;
    console.error(`  ${label}: ${done}/${total} (${Math.floor((done / total) * 100)}%), ${Math.round(rate)}/s, ETA ${Number.isFinite(eta) ? `${eta} s` : '?'}`);
  };
}
