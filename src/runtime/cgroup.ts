// Puts the monitor in the cgroup the spec names (cgroup v2), so the engine's accounting sees the VM.
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from './runtime-error';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup directory for `cgroupsPath`: a path, or with --systemd-cgroup "slice:prefix:name". */
export function cgroupDir(cgroupsPath: string, systemd: boolean, id: string): string {
  if (!systemd) return join(CGROUP_ROOT, cgroupsPath.startsWith('/') ? cgroupsPath : `runcc/${cgroupsPath}`);
  const [slice = 'system.slice', prefix = 'runcc', name = id] = cgroupsPath.split(':');
  return join(CGROUP_ROOT, slice || 'system.slice', `${prefix}-${name}.scope`);
}

/**
 * Creates the cgroup and moves `pid` into it; does nothing without cgroupsPath or a cgroup v2 hierarchy. Returns
 * the directory when runcc created it (and so must remove it), undefined otherwise.
 */
export function placeInCgroup(pid: number, cgroupsPath: string | undefined, systemd: boolean, id: string): string | undefined {
  if (!cgroupsPath || !existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return undefined;
  const dir = cgroupDir(cgroupsPath, systemd, id);
  const created = !existsSync(dir);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  } catch (error) {
    if (created) removeCgroup(dir);
    throw new RuntimeError(`cannot place the container in cgroup ${dir}: ${(error as Error).message}`);
  }
  return created ? dir : undefined;
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
