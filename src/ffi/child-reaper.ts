// Collecting the exit of processes that are not node's own children: a runc container's init, which runc leaves
// behind and which becomes the shim's child only because the shim is a child subreaper. libuv reaps only the pids it
// spawned (waitpid per pid), so waiting here for one other pid at a time never takes one of libuv's.
import { errno, libc } from './libc';

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const ECHILD = 10;

/** Orphaned descendants (a container init once runc exits) are re-parented to this process instead of init. */
export function becomeChildSubreaper(): void {
  if (libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) throw new Error(`prctl(PR_SET_CHILD_SUBREAPER): errno ${errno()}`);
}

/**
 * Reaps `pid` if it has exited: its status (the exit code, or 128 + the signal), undefined while it runs, or 255
 * when it is not (or no longer) this process's child, so its status cannot be known.
 */
export function reapExited(pid: number): number | undefined {
  const status = [0];
  const got = libc.waitpid(pid, status, WNOHANG);
  if (got === 0) return undefined;
  if (got < 0) return errno() === ECHILD ? 255 : undefined;
  const raw = status[0];
  const signal = raw & 0x7f;
  return signal === 0 ? (raw >> 8) & 0xff : 128 + signal;
}
