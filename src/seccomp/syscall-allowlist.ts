// What the monitor may call once the guest runs: node (V8's heap and compiler threads, libuv's event loop and
// thread pool) plus the monitor's own hypercall paths. Measured, not guessed: every scenario of
// scripts/seccomp/measure-syscalls.sh (each example guest, hostile guests, signals, block and net devices, the
// container monitor with its network wiring) ran under `strace -f`, and the calls of all threads after the first
// KVM_RUN are the ones listed here; a few that node makes only under memory pressure or on rarer paths are kept,
// each saying so. Numbers are x86_64's (arch/x86/entry/syscalls/syscall_64.tbl).
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
  { name: 'read', nr: 0, why: 'block reads (pread is separate), TAP frames, libuv signal pipe and eventfd wake-ups' },
  { name: 'write', nr: 1, why: 'PUTS to stdout, TAP frames, stderr reports, libuv wake-ups' },
  { name: 'close', nr: 3, why: 'fds closed at exit and by node (the start gate, the network record)' },
  { name: 'fstat', nr: 5, why: 'node at exit (stdio) and when reading the network record' },
  { name: 'poll', nr: 7, why: 'PUTS waiting for a full non-blocking stdout to drain' },
  { name: 'lseek', nr: 8, why: 'block device size, and node file reads' },
  { name: 'mmap', nr: 9, why: 'V8 heap growth and code space, libuv and glibc allocations' },
  { name: 'mprotect', nr: 10, why: 'V8 code pages (write then execute) and heap guard pages' },
  { name: 'munmap', nr: 11, why: 'V8 heap shrinking, glibc frees, thread stacks at exit' },
  { name: 'brk', nr: 12, why: 'glibc malloc' },
  { name: 'rt_sigaction', nr: 13, why: 'node and libuv (re)installing signal handlers' },
  { name: 'rt_sigprocmask', nr: 14, why: 'libuv and glibc masking signals around critical sections and thread exit' },
  { name: 'rt_sigreturn', nr: 15, why: 'returning from every signal handler (the SIGALRM stop tick, SIGTERM, SIGUSR1)' },
  { name: 'ioctl', nr: 16, why: 'only the requests in ALLOWED_IOCTLS (argument-checked)' },
  { name: 'pread64', nr: 17, why: 'BLOCK_READ' },
  { name: 'pwrite64', nr: 18, why: 'BLOCK_WRITE' },
  { name: 'readv', nr: 19, why: 'node stream reads' },
  { name: 'writev', nr: 20, why: 'node stream writes (process.stdout/stderr)' },
  { name: 'sched_yield', nr: 24, why: 'V8 and glibc spin-then-yield locks' },
  { name: 'mremap', nr: 25, why: 'glibc realloc of large blocks' },
  { name: 'madvise', nr: 28, why: 'V8 and glibc returning memory (MADV_DONTNEED), thread stacks at exit' },
  { name: 'nanosleep', nr: 35, why: 'V8 and glibc back-off sleeps' },
  { name: 'getpid', nr: 39, why: 'node and glibc (raise, signal bookkeeping)' },
  { name: 'clone', nr: 56, why: 'new threads only (CLONE_THREAD); other clones (fork) get EPERM, see REFUSED_CALLS' },
  { name: 'exit', nr: 60, why: 'node\'s threads ending at exit' },
  { name: 'fcntl', nr: 72, why: 'libuv fd flags (O_NONBLOCK, FD_CLOEXEC) at exit and on new fds' },
  { name: 'fsync', nr: 74, why: 'node syncing stdio at exit' },
  { name: 'getrusage', nr: 98, why: 'process.resourceUsage and V8 heap statistics' },
  { name: 'sigaltstack', nr: 131, why: 'glibc and node\'s stack-overflow handler on new threads' },
  { name: 'prctl', nr: 157, why: 'V8 naming new threads (PR_SET_NAME)' },
  { name: 'gettid', nr: 186, why: 'glibc and V8 thread ids' },
  { name: 'futex', nr: 202, why: 'every lock and condition variable of node\'s threads' },
  { name: 'sched_getaffinity', nr: 204, why: 'V8 and libuv sizing worker pools' },
  { name: 'clock_gettime', nr: 228, why: 'WALLTIME and node timers when the vDSO falls back to the system call' },
  { name: 'clock_nanosleep', nr: 230, why: 'glibc sleeps' },
  { name: 'exit_group', nr: 231, why: 'the monitor exiting with the guest\'s status' },
  { name: 'epoll_wait', nr: 232, why: 'POLL (the wait set)' },
  { name: 'epoll_ctl', nr: 233, why: 'libuv watching fds; the wait set' },
  { name: 'tgkill', nr: 234, why: 'glibc raise/abort (a fatal error must still end the process normally)' },
  { name: 'openat', nr: 257, why: 'node reading the network record at exit; /proc files read by V8' },
  { name: 'newfstatat', nr: 262, why: 'node fs.statSync and glibc fstat' },
  { name: 'set_robust_list', nr: 273, why: 'glibc on new threads' },
  { name: 'timerfd_settime', nr: 286, why: 'POLL arming its timeout' },
  { name: 'epoll_pwait', nr: 281, why: 'libuv\'s event loop' },
  { name: 'getrandom', nr: 318, why: 'V8 and glibc seeding (hash tables, Math.random)' },
  { name: 'statx', nr: 332, why: 'node fs stat calls' },
  { name: 'rseq', nr: 334, why: 'glibc registering new threads' },
];

/** Calls refused with an errno (instead of ending the process): node handles the failure as it would any other. */
export interface RefusedCall {
  name: string;
  nr: number;
  errno: 'EPERM' | 'ENOSYS';
  why: string;
}

export const REFUSED_CALLS: readonly RefusedCall[] = [
  { name: 'fork', nr: 57, errno: 'EPERM', why: 'no child processes once the guest runs' },
  { name: 'vfork', nr: 58, errno: 'EPERM', why: 'no child processes once the guest runs' },
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
