/**
 * CPU time and peak memory of a process and its descendants, from /proc (Linux): user + system time
 * (`/proc/<pid>/stat` fields 14 and 15, in clock ticks) and `VmHWM` (peak resident set) of
 * `/proc/<pid>/status`. Descendants count because a gateway CLI may run its server in a child process.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function stat(pid: number): { ppid: number; cpuTicks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: the fields after it start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** `pid` and every live descendant. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/** CPU milliseconds (user + system) used so far by `pid` and its descendants. */
export function cpuMs(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + ((stat(p)?.cpuTicks ?? 0) * 1000) / TICKS_PER_SECOND, 0);
}

/** Peak resident set in MB of `pid` and its descendants (summed). */
export function peakRssMb(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (match) kb += Number(match[1]);
    } catch {
      // The process is gone.
    }
  }
  return kb / 1024;
}
