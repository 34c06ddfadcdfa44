/**
 * NATS subject matching: tokens separated by `.`, `*` matches exactly one token, `>` (last) matches one
 * or more remaining tokens. Kept identical to NATS so the in-process and JetStream buses agree.
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return i === f.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}
