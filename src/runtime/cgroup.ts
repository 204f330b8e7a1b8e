// The container's cgroup (v2), as runc makes it: created and limited (`linux.resources`) before the monitor starts,
// and joined by the monitor's spawning step, so that everything the monitor and its guest use — node's heap, the
// guest's RAM — is charged to the container from the first page on.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, normalize, relative } from 'node:path';
import { LinuxResources } from '../oci/runtime-spec';
import { RuntimeError } from './runtime-error';

const CGROUP_ROOT = '/sys/fs/cgroup';
/** The controllers whose limits runcc applies; enabled for the container in its ancestors' subtree_control. */
const CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

/**
 * The cgroup directory for `cgroupsPath`: a path, or with --systemd-cgroup "slice:prefix:name". A path that leaves
 * the cgroup hierarchy (`..`) is refused: a hostile config.json must not name a cgroup it was not given.
 */
export function cgroupDir(cgroupsPath: string, systemd: boolean, id: string): string {
  let inner: string;
  if (!systemd) inner = cgroupsPath.startsWith('/') ? cgroupsPath : `runcc/${cgroupsPath}`;
  else {
    const [slice = 'system.slice', prefix = 'runcc', name = id] = cgroupsPath.split(':');
    inner = join(slice || 'system.slice', `${prefix}-${name}.scope`);
  }
  if (inner.split('/').includes('..')) throw new RuntimeError(`linux.cgroupsPath: "${cgroupsPath}" must not contain ".."`);
  const dir = join(CGROUP_ROOT, normalize(inner));
  const rel = relative(CGROUP_ROOT, dir);
  if (rel === '' || rel.startsWith('..')) throw new RuntimeError(`linux.cgroupsPath: "${cgroupsPath}" names no cgroup below ${CGROUP_ROOT}`);
  return dir;
}

/** The cgroup v2 interface files and values for `resources` (runc's conversions for cpu shares and swap). */
export function cgroupLimits(resources: LinuxResources | undefined): [file: string, value: string][] {
  const limits: [string, string][] = [];
  const memory = resources?.memory;
  if (memory?.limit !== undefined && memory.limit > 0) {
    limits.push(['memory.max', String(memory.limit)]);
    // The spec's swap is memory + swap; cgroup v2 limits swap alone.
    if (memory.swap !== undefined && memory.swap >= memory.limit) limits.push(['memory.swap.max', String(memory.swap - memory.limit)]);
  }
  const cpu = resources?.cpu;
  if (cpu?.quota !== undefined && cpu.quota > 0) limits.push(['cpu.max', `${cpu.quota} ${cpu.period && cpu.period > 0 ? cpu.period : 100_000}`]);
  if (cpu?.shares !== undefined && cpu.shares > 0) {
    // cgroup v1 shares [2, 262144] onto v2 weight [1, 10000].
    const shares = Math.min(Math.max(cpu.shares, 2), 262_144);
    limits.push(['cpu.weight', String(1 + Math.floor(((shares - 2) * 9999) / 262_142))]);
  }
  const pids = resources?.pids?.limit;
  if (pids !== undefined && pids !== 0) limits.push(['pids.max', pids > 0 ? String(pids) : 'max']);
  return limits;
}

/**
 * Enables cpu, memory and pids for `dir`, in every ancestor's subtree_control, as runc does: with or without limits,
 * since their figures (memory.current, cpu.stat, pids.current) are what the shim's Stats and engines' stats read.
 */
function enableControllers(dir: string): void {
  const parts = relative(CGROUP_ROOT, dir).split('/');
  for (let depth = 0; depth < parts.length; depth++) {
    const ancestor = join(CGROUP_ROOT, ...parts.slice(0, depth));
    let available: string[];
    try {
      available = readFileSync(join(ancestor, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
    } catch {
      return;
    }
    // One at a time: a write naming several fails whole if one of them cannot be enabled.
    for (const controller of CONTROLLERS.filter((c) => available.includes(c))) {
      try {
        writeFileSync(join(ancestor, 'cgroup.subtree_control'), `+${controller}`);
      } catch {
        // Busy (processes of its own) or delegated elsewhere: the limit's own write says what is missing.
      }
    }
  }
}

export interface ContainerCgroup {
  dir: string;
  /** True when runcc made the directory (and so removes it at delete). */
  created: boolean;
}

/**
 * Creates the cgroup for `cgroupsPath` with the spec's limits; undefined without cgroupsPath or a cgroup v2
 * hierarchy. The monitor is not in it yet: the spawning step joins it (see monitor-launch.ts).
 */
export function prepareCgroup(cgroupsPath: string | undefined, systemd: boolean, id: string, resources: LinuxResources | undefined): ContainerCgroup | undefined {
  if (!cgroupsPath || !existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return undefined;
  const dir = cgroupDir(cgroupsPath, systemd, id);
  const created = !existsSync(dir);
  const limits = cgroupLimits(resources);
  try {
    mkdirSync(dir, { recursive: true });
    enableControllers(dir);
    for (const [file, value] of limits) {
      try {
        writeFileSync(join(dir, file), value);
      } catch (error) {
        const controller = file.split('.')[0];
        const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `the ${controller} controller is not enabled for it` : (error as Error).message;
        throw new RuntimeError(`cannot set ${file} to ${value} in cgroup ${dir}: ${reason}`);
      }
    }
  } catch (error) {
    if (created) removeCgroup(dir);
    if (error instanceof RuntimeError) throw error;
    throw new RuntimeError(`cannot create cgroup ${dir}: ${(error as Error).message}`);
  }
  return { dir, created };
}

/** Removes a cgroup runcc created, once its processes are gone; false if it could not (still busy). */
export function removeCgroup(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Removes the cgroup once its (killed) processes have left it, waiting up to `timeoutMs`; false if still busy. */
export function removeCgroupWhenEmpty(dir: string, timeoutMs = 2000): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (removeCgroup(dir)) return true;
    if (Date.now() > deadline) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}
