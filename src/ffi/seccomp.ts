// Installing a seccomp filter on the whole process: no_new_privs first (required of an unprivileged caller, and
// what keeps a later execve from gaining privileges), then SECCOMP_SET_MODE_FILTER with SECCOMP_FILTER_FLAG_TSYNC
// so that every existing thread of node (V8's, libuv's) gets the same filter as the calling one; threads created
// later inherit it.
import { libc } from './libc';
import { scratch } from './native-memory';
import { SysError } from './sys-error';

const PR_SET_NO_NEW_PRIVS = 38;
const SECCOMP_SET_MODE_FILTER = 1;
const SECCOMP_FILTER_FLAG_TSYNC = 1;
/** struct sock_fprog: u16 len, (padding), struct sock_filter *filter. */
const SOCK_FPROG_BYTES = 16;
const SOCK_FILTER_BYTES = 8;

/** Installs `program` (struct sock_filter records, as bytes) for all threads; it cannot be removed afterwards. */
export function installProcessFilter(program: Uint8Array): void {
  const count = program.length / SOCK_FILTER_BYTES;
  if (!Number.isInteger(count) || count === 0 || count > 0xffff) throw new RangeError(`a seccomp program of ${program.length} bytes`);
  if (libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) !== 0) throw SysError.last('prctl(PR_SET_NO_NEW_PRIVS)');
  const mem = scratch(SOCK_FPROG_BYTES + program.length);
  mem.bytes.set(program, SOCK_FPROG_BYTES);
  mem.data.setUint16(0, count, true);
  mem.data.setBigUint64(8, BigInt(mem.address + SOCK_FPROG_BYTES), true);
  const result = libc.seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, mem.address);
  if (result < 0) throw SysError.last('seccomp(SECCOMP_SET_MODE_FILTER)');
  // TSYNC answers with the id of a thread it could not synchronise (one already under another filter).
  if (result > 0) throw new Error(`seccomp: thread ${result} could not take the filter`);
  // The kernel copied the program; the scratch area stays mapped (a munmap now would be one more call to allow).
}
