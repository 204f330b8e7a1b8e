// The process-wide calls that take a monitor's privileges away, as typed functions. Each acts on every thread of
// the process (glibc applies set*id to all threads; chroot and capabilities are per process here), which is what a
// multi-threaded node process needs: no thread may keep what the main one dropped.
import {
  MADV_DONTDUMP,
  PR_CAPBSET_DROP,
  PR_CAPBSET_READ,
  PR_CAP_AMBIENT,
  PR_CAP_AMBIENT_CLEAR_ALL,
  PR_SET_DUMPABLE,
  PR_SET_NO_NEW_PRIVS,
  EINVAL,
  errno,
  libc,
} from './libc';
import { scratch } from './native-memory';
import { SysError } from './sys-error';

function check(result: number, what: string): void {
  if (result !== 0) throw SysError.last(what);
}

/** Keeps guest RAM out of core dumps. */
export function excludeFromCoreDumps(address: number, lengthBytes: number): void {
  check(libc.madvise(address, lengthBytes, MADV_DONTDUMP), 'madvise(MADV_DONTDUMP)');
}

/** No core dumps, no ptrace by the same uid, /proc/PID files owned by root. */
export function setNotDumpable(): void {
  check(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), 'prctl(PR_SET_DUMPABLE)');
}

/**
 * Empties the calling thread's capability bounding set (needs CAP_SETPCAP: call while still root; the set is
 * per-thread, so node's other threads keep theirs unless it was emptied before node started) and the ambient set.
 */
export function dropBoundingAndAmbientCapabilities(): void {
  for (let cap = 0; cap < 64; cap++) {
    const inSet = libc.prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (inSet < 0 && errno() === EINVAL) break; // past the kernel's last capability
    if (inSet === 0) continue;
    if (libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) !== 0) {
      if (errno() === EINVAL) break; // past the kernel's last capability
      throw SysError.last(`prctl(PR_CAPBSET_DROP, ${cap})`);
    }
  }
  check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), 'prctl(PR_CAP_AMBIENT_CLEAR_ALL)');
}

/**
 * Makes the process's root (and working directory) the directory at `path`, empty and already removed from the
 * filesystem: nothing can be reached by name afterwards, and nothing is left behind. Needs CAP_SYS_CHROOT.
 */
export function enterRemovedEmptyRoot(path: string, remove: (path: string) => void): void {
  check(libc.chdir(path), `chdir(${path})`);
  remove(path);
  check(libc.chroot('.'), 'chroot');
  check(libc.chdir('/'), 'chdir(/)');
}

/**
 * Sets the supplementary groups, then gid and uid (real, effective, saved): capabilities go with uid 0. Groups that
 * are already `groups` (a confined monitor's are cleared at its spawn, and most containers ask for none) are left
 * as they are: glibc has every thread of the process take each set*id change, a signal round per call.
 */
export function becomeUser(uid: number, gid: number, groups: readonly number[]): void {
  const list = scratch(Math.max(4, groups.length * 4));
  if (!groupsAre(groups)) {
    groups.forEach((g, i) => list.data.setUint32(i * 4, g, true));
    check(libc.setgroups(groups.length, list.address), 'setgroups');
  }
  check(libc.setresgid(gid, gid, gid), `setresgid(${gid})`);
  check(libc.setresuid(uid, uid, uid), `setresuid(${uid})`);
}

/** Whether the process's supplementary groups are `wanted`, in any order. */
function groupsAre(wanted: readonly number[]): boolean {
  const count = libc.getgroups(0, 0);
  if (count < 0) throw SysError.last('getgroups');
  if (count !== new Set(wanted).size) return false;
  if (count === 0) return true;
  const list = scratch(count * 4);
  if (libc.getgroups(count, list.address) !== count) return false;
  const have = new Set(Array.from({ length: count }, (_, i) => list.data.getUint32(i * 4, true)));
  return wanted.every((g) => have.has(g));
}

/** No execve may gain privileges again (set-id bits, file capabilities). */
export function setNoNewPrivileges(): void {
  check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 'prctl(PR_SET_NO_NEW_PRIVS)');
}
