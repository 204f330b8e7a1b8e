// The seccomp ABI as data (linux/seccomp.h, linux/audit.h), x86_64.

/** Byte offsets in `struct seccomp_data`: int nr; u32 arch; u64 instruction_pointer; u64 args[6]. */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  /** Low 32 bits of argument `i` (little-endian). */
  argLow: (i: number): number => 16 + 8 * i,
  /** High 32 bits of argument `i`. */
  argHigh: (i: number): number => 20 + 8 * i,
} as const;

export const AUDIT_ARCH_X86_64 = 0xc000003e;
/** Set in the number of an x32-ABI call: another syscall table, refused outright. */
export const X32_SYSCALL_BIT = 0x40000000;

export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;

export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_FILTER_FLAG_TSYNC = 1;
export const PR_SET_NO_NEW_PRIVS = 38;
export const SYS_seccomp = 317;

export const EPERM = 1;
export const ENOSYS = 38;
export const EACCES = 13;
