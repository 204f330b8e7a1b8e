// Puts the monitor in the cgroup the spec names (cgroup v2), so the engine's accounting sees the VM.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from './runtime-error';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup directory for `cgroupsPath`: a path, or with --systemd-cgroup "slice:prefix:name". */
export function cgroupDir(cgroupsPath: string, systemd: boolean, id: string): string {
  if (!systemd) return join(CGROUP_ROOT, cgroupsPath.startsWith('/') ? cgroupsPath : `runcc/${cgroupsPath}`);
  const [slice = 'system.slice', prefix = 'runcc', name = id] = cgroupsPath.split(':');
  return join(CGROUP_ROOT, slice || 'system.slice', `${prefix}-${name}.scope`);
}

/** Creates the cgroup and moves `pid` into it; does nothing without cgroupsPath or a cgroup v2 hierarchy. */
export function placeInCgroup(pid: number, cgroupsPath: string | undefined, systemd: boolean, id: string): void {
  if (!cgroupsPath || !existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return;
  const dir = cgroupDir(cgroupsPath, systemd, id);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  } catch (error) {
    throw new RuntimeError(`cannot place the container in cgroup ${dir}: ${(error as Error).message}`);
  }
}
