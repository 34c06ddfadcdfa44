/**
 * Linux /proc readers for the fan-out benchmark: a process's CPU time and resident memory, and whether
 * a loopback TCP connection is still established (to see when the gateway closed the slow client,
 * whose own socket reads nothing and so cannot tell).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/**
 * The fields of `/proc/<pid>/stat` after the command name (which may hold spaces, so they start at the
 * last ')'): index 0 is field 3 (state), so field n is at n - 3.
 */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU time of `pid` in milliseconds (fields 14 and 15). */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** Resident set size of `pid` in bytes. */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** Seconds since process `pid` started (its start time in /proc/<pid>/stat against /proc/uptime). */
export function processAgeS(pid: number): number {
  const startTicks = Number(statFields(pid)[19]); // field 22, start time
  const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return uptimeS - startTicks / CLOCK_TICKS;
}

/** True while the IPv4 connection from local `port` to remote `remotePort` is ESTABLISHED (state 01). */
export function tcpEstablished(port: number, remotePort: number): boolean {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  const local = `:${hex(port)}`;
  const remote = `:${hex(remotePort)}`;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const [, localAddress, remoteAddress, state] = line.trim().split(/\s+/);
    if (localAddress?.endsWith(local) && remoteAddress?.endsWith(remote)) return state === '01';
  }
  return false;
}

/** The soft and hard limits on open files of this process. */
export function openFileLimits(): { soft: number; hard: number } {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  const parse = (value: string | undefined) => (value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value));
  return { soft: parse(match?.[1]), hard: parse(match?.[2]) };
}
