// The monitor's seccomp program, assembled from the allowlist (syscall-allowlist.ts):
//
//   arch must be x86_64, and the call no x32 one        else → the default action
//   fork, vfork → EPERM; clone3 → ENOSYS; openat → EACCES
//   ioctl → only the requests of ALLOWED_IOCTLS (the low 32 bits: the kernel reads `unsigned int cmd`)
//   clone → only with CLONE_THREAD (a thread), else EPERM
//   each call of ALLOWED_CALLS → allow
//   anything else → the default action: kill the process (or, in `log` mode, allow and log)
import { BpfProgram, SockFilter } from './bpf-builder';
import {
  AUDIT_ARCH_X86_64,
  EACCES,
  ENOSYS,
  EPERM,
  SECCOMP_DATA,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_LOG,
  X32_SYSCALL_BIT,
} from './seccomp-abi';
import { ALLOWED_CALLS, ALLOWED_IOCTLS, CLONE_THREAD, REFUSED_CALLS } from './syscall-allowlist';

/** `on`: calls outside the allowlist kill the monitor; `log`: they are only logged (to measure); `off`: no filter. */
export type SeccompMode = 'on' | 'log' | 'off';
export const SECCOMP_MODES: readonly SeccompMode[] = ['on', 'log', 'off'];
/** The environment variable that chooses the mode (`on` when unset). */
export const SECCOMP_ENV = 'RUNCC_SECCOMP';

const NR_IOCTL = 16;
const NR_CLONE = 56;

/** The mode named by `value` (the environment variable's value), or undefined when it names none. */
export function seccompMode(value: string | undefined): SeccompMode | undefined {
  if (value === undefined || value === '') return 'on';
  return (SECCOMP_MODES as readonly string[]).includes(value) ? (value as SeccompMode) : undefined;
}

export function monitorFilter(mode: Exclude<SeccompMode, 'off'>): SockFilter[] {
  const fallback = mode === 'on' ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_LOG;
  const p = new BpfProgram()
    .loadWord(SECCOMP_DATA.arch)
    .jumpIfEqual(AUDIT_ARCH_X86_64, 'next', 'deny')
    .loadWord(SECCOMP_DATA.nr)
    .jumpIfAtLeast(X32_SYSCALL_BIT, 'deny');
  for (const call of REFUSED_CALLS) p.jumpIfEqual(call.nr, call.errno.toLowerCase());
  p.jumpIfEqual(NR_IOCTL, 'ioctl').jumpIfEqual(NR_CLONE, 'clone');
  for (const call of ALLOWED_CALLS) if (call.nr !== NR_IOCTL && call.nr !== NR_CLONE) p.jumpIfEqual(call.nr, 'allow');
  p.jumpTo('deny');

  p.place('ioctl').loadWord(SECCOMP_DATA.argLow(1));
  for (const ioctl of ALLOWED_IOCTLS) p.jumpIfEqual(ioctl.request, 'allow');
  p.jumpTo('deny');

  p.place('clone').loadWord(SECCOMP_DATA.argLow(0)).jumpIfAnySet(CLONE_THREAD, 'allow', 'eperm');

  return p
    .place('deny').ret(fallback)
    .place('allow').ret(SECCOMP_RET_ALLOW)
    .place('eperm').ret(SECCOMP_RET_ERRNO | EPERM)
    .place('enosys').ret(SECCOMP_RET_ERRNO | ENOSYS)
    .place('eacces').ret(SECCOMP_RET_ERRNO | EACCES)
    .assemble();
}
