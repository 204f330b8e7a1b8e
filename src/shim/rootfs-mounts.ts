// The task's root filesystem as containerd passes it in Create (an overlay or bind mount of the image's snapshot),
// mounted onto <bundle>/rootfs in order, and unmounted at delete.
import { spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { Code, TtrpcError } from './ttrpc/status';

export interface Mount {
  type: string;
  source: string;
  target: string;
  options: string[];
}

export function mountRootfs(bundle: string, mounts: readonly Mount[]): void {
  const rootfs = join(bundle, 'rootfs');
  for (const mount of mounts) {
    const argv = ['-t', mount.type || 'none', ...(mount.options.length ? ['-o', mount.options.join(',')] : []), mount.source, rootfs];
    const result = spawnSync('mount', argv, { encoding: 'utf8' });
    if (result.status !== 0) {
      unmountRootfs(bundle);
      throw new TtrpcError(Code.INTERNAL, `cannot mount the rootfs (${mount.type} ${mount.source}): ${(result.stderr || result.error?.message || '').trim()}`);
    }
  }
}

/** Whether `path` is a mount point now: /proc/self/mountinfo's fifth field (octal escapes decoded), no process. */
export function isMountPoint(path: string, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): boolean {
  for (const line of mountinfo.split('\n')) {
    const at = line.split(' ')[4];
    if (at !== undefined && at.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))) === path) return true;
  }
  return false;
}

/** Unmounts everything on <bundle>/rootfs; quiet when nothing is mounted there. */
export function unmountRootfs(bundle: string): void {
  let rootfs = join(bundle, 'rootfs');
  try {
    // mountinfo names the path the kernel resolved.
    rootfs = realpathSync(rootfs);
  } catch {
    return; // no rootfs directory: nothing can be mounted there
  }
  for (let i = 0; i < 8; i++) {
    if (!isMountPoint(rootfs)) return;
    spawnSync('umount', ['-l', rootfs]);
  }
}
