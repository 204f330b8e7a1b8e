// A process identified by pid and start time, so a recycled pid is never mistaken for the container's monitor.
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
  startTime: number;
}

/** Start time and state letter of `pid`, or undefined when there is no such process. */
function procStat(pid: number): { startTime: number; state: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: fields resume after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: Number(fields[19]) };
}

export function identify(pid: number): ProcessIdentity | undefined {
  const stat = procStat(pid);
  return stat ? { pid, startTime: stat.startTime } : undefined;
}

/** True while the identified process exists, is not a zombie and is still the same process. */
export function isAlive(identity: ProcessIdentity): boolean {
  const stat = procStat(identity.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === identity.startTime;
}
