// A container's cgroup v2 figures as io.containerd.cgroups.v2.Metrics (what `ctr task metrics`, CRI's
// ContainerStats and kubelet read), taken from the interface files the same way containerd's cgroups library does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const METRICS_V2_TYPE = 'io.containerd.cgroups.v2.Metrics';
const MAX = Number.MAX_SAFE_INTEGER; // 2^64-1 is not a JS number; CRI treats anything above 2^62 as "no limit"

function read(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

function single(dir: string, file: string): number | undefined {
  const text = read(dir, file)?.trim();
  if (text === undefined || text === '') return undefined;
  return text === 'max' ? MAX : Number(text);
}

/** "key value" lines into a record (cpu.stat, memory.stat, memory.events). */
export function flatKeyed(text: string | undefined): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of text?.split('\n') ?? []) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) values[key] = Number(value);
  }
  return values;
}

const MEMORY_KEYS = [
  'anon', 'file', 'kernel_stack', 'slab', 'sock', 'shmem', 'file_mapped', 'file_dirty', 'file_writeback', 'anon_thp',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'slab_reclaimable',
  'slab_unreclaimable', 'pgfault', 'pgmajfault', 'workingset_refault', 'workingset_activate',
  'workingset_nodereclaim', 'pgrefill', 'pgscan', 'pgsteal', 'pgactivate', 'pgdeactivate', 'pglazyfree',
  'pglazyfreed', 'thp_fault_alloc', 'thp_collapse_alloc',
];

function ioStat(text: string | undefined): object[] {
  const entries: object[] = [];
  for (const line of text?.split('\n') ?? []) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    const match = /^(\d+):(\d+)$/.exec(device ?? '');
    if (!match) continue;
    const kv = Object.fromEntries(pairs.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
    entries.push({ major: Number(match[1]), minor: Number(match[2]), rbytes: kv.rbytes, wbytes: kv.wbytes, rios: kv.rios, wios: kv.wios });
  }
  return entries;
}

/** The cgroup v2 directory a process is in (the unified hierarchy's "0::" line), or undefined. */
export function cgroupOfProcess(pid: number): string | undefined {
  const line = read('/proc', `${pid}/cgroup`)?.split('\n').find((l) => l.startsWith('0::'));
  return line ? join('/sys/fs/cgroup', line.slice(3)) : undefined;
}

/** The metrics of cgroup `dir`; undefined when it is not a cgroup v2 directory (gone, or a v1 host). */
export function cgroupV2Metrics(dir: string): object | undefined {
  if (read(dir, 'cgroup.controllers') === undefined) return undefined;
  const cpu = flatKeyed(read(dir, 'cpu.stat'));
  const memory = flatKeyed(read(dir, 'memory.stat'));
  const events = flatKeyed(read(dir, 'memory.events'));
  return {
    pids: { current: single(dir, 'pids.current'), limit: single(dir, 'pids.max') },
    cpu: {
      usage_usec: cpu.usage_usec, user_usec: cpu.user_usec, system_usec: cpu.system_usec,
      nr_periods: cpu.nr_periods, nr_throttled: cpu.nr_throttled, throttled_usec: cpu.throttled_usec,
    },
    memory: {
      ...Object.fromEntries(MEMORY_KEYS.map((key) => [key, memory[key]])),
      usage: single(dir, 'memory.current'), usage_limit: single(dir, 'memory.max'),
      swap_usage: single(dir, 'memory.swap.current'), swap_limit: single(dir, 'memory.swap.max'),
    },
    io: { usage: ioStat(read(dir, 'io.stat')) },
    memory_events: { low: events.low, high: events.high, max: events.max, oom: events.oom, oom_kill: events.oom_kill },
  };
}

/** memory.events' oom_kill count (0 when unreadable): an increase over a container's life is a TaskOOM. */
export function oomKills(dir: string): number {
  return flatKeyed(read(dir, 'memory.events')).oom_kill ?? 0;
}
