// What the monitor may call once the guest runs: node (V8's heap and compiler threads, libuv's event loop and
// thread pool) plus the monitor's own hypercall paths. Measured, not guessed: the example and hostile guests ran
// under `strace -f` (scripts/seccomp/measure-syscalls.sh) and the calls of all threads after the first KVM_RUN were
// counted; then the whole e2e suite ran with only those calls allowed and RUNCC_SECCOMP=log, and the kernel's audit
// records named the few more it made (sched_yield, getpid). Four calls never seen are kept, each saying why (a
// malloc or a new thread must not end the monitor). Not here, so ending the process: opening or statting any
// file, sockets, execve, kill, ptrace, mount, setuid and the like. Numbers are x86_64's
// (arch/x86/entry/syscalls/syscall_64.tbl).
//
// What is not here ends the process (SECCOMP_RET_KILL_PROCESS; the kernel logs the call number, see
// docs/security.md), except the calls in REFUSED_CALLS, which fail with an errno so that node's own handling runs.

export interface AllowedCall {
  name: string;
  nr: number;
  /** Why the monitor needs it after boot. */
  why: string;
}

export const ALLOWED_CALLS: readonly AllowedCall[] = [
  { name: 'read', nr: 0, why: 'NET_READ from a TAP; libuv reading its signal pipe and wake-up fds' },
  { name: 'write', nr: 1, why: 'PUTS to stdout, NET_WRITE to a TAP, stderr reports, libuv wake-ups' },
  { name: 'close', nr: 3, why: 'node closing fds at exit' },
  { name: 'fstat', nr: 5, why: 'node looking at stdio at exit' },
  { name: 'poll', nr: 7, why: 'PUTS waiting for a full non-blocking stdout to drain' },
  { name: 'mmap', nr: 9, why: 'V8 growing its heap and code space' },
  { name: 'mprotect', nr: 10, why: 'V8 code pages (write, then execute) and heap pages' },
  { name: 'munmap', nr: 11, why: 'V8 shrinking its heap; thread stacks at exit' },
  { name: 'brk', nr: 12, why: 'glibc malloc growing the main heap (not seen in the tests; ending the monitor on it would be wrong)' },
  { name: 'rt_sigprocmask', nr: 14, why: 'libuv and glibc masking signals around critical sections and at thread exit' },
  { name: 'rt_sigreturn', nr: 15, why: 'returning from every signal handler (the SIGALRM stop tick, SIGTERM, SIGUSR1)' },
  { name: 'ioctl', nr: 16, why: 'only the requests of ALLOWED_IOCTLS (argument-checked)' },
  { name: 'pread64', nr: 17, why: 'BLOCK_READ' },
  { name: 'pwrite64', nr: 18, why: 'BLOCK_WRITE' },
  { name: 'sched_yield', nr: 24, why: 'V8\'s and glibc\'s spin-then-yield locks' },
  { name: 'mremap', nr: 25, why: 'glibc realloc of a large block (not seen in the tests; memory of its own only)' },
  { name: 'madvise', nr: 28, why: 'V8 and glibc returning memory (MADV_DONTNEED), thread stacks at exit' },
  { name: 'getpid', nr: 39, why: 'libuv\'s signal handling' },
  { name: 'clone', nr: 56, why: 'new threads only (CLONE_THREAD); other clones (fork) get EPERM, see REFUSED_CALLS' },
  { name: 'exit', nr: 60, why: 'node\'s threads ending at exit' },
  { name: 'fcntl', nr: 72, why: 'node restoring stdio flags (O_NONBLOCK) at exit' },
  { name: 'fsync', nr: 74, why: 'node flushing stdio at exit' },
  { name: 'futex', nr: 202, why: 'every lock and condition variable of node\'s threads' },
  { name: 'timer_settime', nr: 223, why: 'the stop tick pausing while the guest idles in POLL, and resuming (signals.ts)' },
  { name: 'clock_gettime', nr: 228, why: 'WALLTIME and node\'s timers, where the vDSO falls back to the system call' },
  { name: 'exit_group', nr: 231, why: 'the monitor exiting with the guest\'s status' },
  { name: 'epoll_wait', nr: 232, why: 'POLL where epoll_pwait2 is missing (the wait set of TAPs and its timer)' },
  { name: 'epoll_ctl', nr: 233, why: 'libuv watching fds' },
  { name: 'set_robust_list', nr: 273, why: 'glibc starting a thread (none was started after boot in the tests; kept with clone)' },
  { name: 'timerfd_settime', nr: 286, why: 'POLL arming its timeout where epoll_pwait2 is missing (Linux < 5.11)' },
  { name: 'epoll_pwait', nr: 281, why: 'libuv\'s event loop' },
  { name: 'rseq', nr: 334, why: 'glibc starting a thread (as set_robust_list)' },
  { name: 'epoll_pwait2', nr: 441, why: 'POLL: the wait set with its timeout, in one call (wait-set.ts)' },
];

/** Calls refused with an errno (instead of ending the process): node handles the failure as it would any other. */
export interface RefusedCall {
  name: string;
  nr: number;
  errno: 'EPERM' | 'ENOSYS' | 'EACCES';
  why: string;
}

export const REFUSED_CALLS: readonly RefusedCall[] = [
  { name: 'fork', nr: 57, errno: 'EPERM', why: 'no child processes once the guest runs' },
  { name: 'vfork', nr: 58, errno: 'EPERM', why: 'no child processes once the guest runs' },
  {
    name: 'openat',
    nr: 257,
    errno: 'EACCES',
    why: 'no file may be opened once the guest runs, but glibc\'s malloc reads /proc/sys/vm/overcommit_memory once, lazily, when a thread\'s heap first shrinks: it handles a failure, not a kill',
  },
  {
    name: 'clone3',
    nr: 435,
    errno: 'ENOSYS',
    why: 'its flags are in memory a filter cannot read; ENOSYS makes glibc fall back to clone, whose flags are checked',
  },
];

/** The one flag a clone must carry: a thread of this process, never a new process. */
export const CLONE_THREAD = 0x00010000;

export interface AllowedIoctl {
  name: string;
  request: number;
  why: string;
}

/** ioctl requests allowed after boot, on any fd (a filter cannot tell fds apart). */
export const ALLOWED_IOCTLS: readonly AllowedIoctl[] = [
  { name: 'KVM_RUN', request: 0xae80, why: 'the vCPU loop' },
  { name: 'KVM_GET_REGS', request: 0x8090ae81, why: 'the guest\'s rip in fatal-error messages' },
  { name: 'FIONBIO', request: 0x5421, why: 'libuv making a new fd non-blocking' },
  { name: 'FIOCLEX', request: 0x5451, why: 'libuv marking a new fd close-on-exec' },
  { name: 'TCGETS', request: 0x5401, why: 'node asking whether stdio is a terminal (isatty), and reading its modes at exit' },
  { name: 'TCSETS', request: 0x5402, why: 'node restoring a terminal\'s modes on stdio at exit (a terminal container)' },
  { name: 'TIOCGWINSZ', request: 0x5413, why: 'node reading a terminal\'s size on SIGWINCH' },
];
