// The only importer of koffi: typed bindings to the libc calls runcc needs. Addresses cross as JS numbers
// (user-space addresses are < 2^47, exactly representable), so no BigInt and no allocation on hot paths.
import koffi from 'koffi';

const lib = koffi.load('libc.so.6');

export interface Libc {
  open(path: string, flags: number, mode: number): number;
  close(fd: number): number;
  /** ioctl with an integer or an address (a JS number) as its argument. */
  ioctl(fd: number, request: number, arg: number): number;
  read(fd: number, address: number, length: number): number;
  write(fd: number, address: number, length: number): number;
  pread(fd: number, address: number, length: number, offset: number): number;
  pwrite(fd: number, address: number, length: number, offset: number): number;
  lseek(fd: number, offset: number, whence: number): number;
  fcntl(fd: number, command: number, arg: number): number;
  /** Returns the mapping's address, or -1 (MAP_FAILED). */
  mmap(address: number, length: number, prot: number, flags: number, fd: number, offset: number): number;
  munmap(address: number, length: number): number;
  mprotect(address: number, length: number, prot: number): number;
  epoll_create1(flags: number): number;
  epoll_ctl(epfd: number, op: number, fd: number, eventAddress: number): number;
  epoll_wait(epfd: number, eventsAddress: number, maxEvents: number, timeoutMs: number): number;
  /**
   * epoll_pwait2(2) (Linux 5.11+, glibc 2.35+) with no signal mask: a timespec timeout. Absent where glibc lacks it;
   * −1 with ENOSYS where the kernel does.
   */
  epoll_pwait2?: (epfd: number, eventsAddress: number, maxEvents: number, timespecAddress: number, sigmask: number) => number;
  timerfd_create(clockId: number, flags: number): number;
  eventfd(initialValue: number, flags: number): number;
  timerfd_settime(fd: number, flags: number, newValueAddress: number, oldValueAddress: number): number;
  clock_gettime(clockId: number, timespecAddress: number): number;
  timer_create(clockId: number, sigeventAddress: number, timerIdAddress: number): number;
  timer_settime(timerId: number, flags: number, newValueAddress: number, oldValueAddress: number): number;
  timer_delete(timerId: number): number;
  gettid(): number;
  getrusage(who: number, usageAddress: number): number;
  socket(domain: number, type: number, protocol: number): number;
  mkfifo(path: string, mode: number): number;
  poll(fdsAddress: number, count: number, timeoutMs: number): number;
  connect(fd: number, addressAddress: number, addressLength: number): number;
  sendmsg(fd: number, messageAddress: number, flags: number): number;
  recvmsg(fd: number, messageAddress: number, flags: number): number;
  socketpair(domain: number, type: number, protocol: number, pairAddress: number): number;
  dup2(fd: number, target: number): number;
  /** setns(2): moves the calling thread (only) into the namespace `fd` refers to. */
  setns(fd: number, nstype: number): number;
  posix_openpt(flags: number): number;
  grantpt(fd: number): number;
  unlockpt(fd: number): number;
  ptsname_r(fd: number, bufferAddress: number, length: number): number;
  // Confinement (monitor/confinement): each affects the whole process, every thread included.
  prctl(option: number, arg2: number, arg3: number, arg4: number, arg5: number): number;
  /** waitpid(2); `status` is a one-element array that receives the wait status. */
  waitpid(pid: number, status: number[], options: number): number;
  chroot(path: string): number;
  chdir(path: string): number;
  getgroups(size: number, listAddress: number): number;
  setgroups(count: number, listAddress: number): number;
  setresgid(rgid: number, egid: number, sgid: number): number;
  setresuid(ruid: number, euid: number, suid: number): number;
  madvise(address: number, length: number, advice: number): number;
  /** _exit(2): ends the process at once (no atexit handlers, no stdio flush). */
  _exit(status: number): void;
  /** seccomp(2), which glibc does not wrap: `syscall(SYS_seccomp, operation, flags, args)`. */
  seccomp(operation: number, flags: number, argsAddress: number): number;
}

const syscall: (number: number, ...typedArgs: unknown[]) => number = lib.func('long syscall(long number, ...)');
const SYS_SECCOMP = 317;

function optionalFunc<T>(prototype: string): T | undefined {
  try {
    return lib.func(prototype) as T;
  } catch {
    return undefined;
  }
}

export const libc: Libc = {
  open: lib.func('int open(const char *path, int flags, uint32_t mode)'),
  close: lib.func('int close(int fd)'),
  ioctl: lib.func('int ioctl(int fd, unsigned long request, uintptr_t arg)'),
  read: lib.func('intptr_t read(int fd, uintptr_t buf, size_t count)'),
  write: lib.func('intptr_t write(int fd, uintptr_t buf, size_t count)'),
  pread: lib.func('intptr_t pread(int fd, uintptr_t buf, size_t count, int64_t offset)'),
  pwrite: lib.func('intptr_t pwrite(int fd, uintptr_t buf, size_t count, int64_t offset)'),
  lseek: lib.func('int64_t lseek(int fd, int64_t offset, int whence)'),
  fcntl: lib.func('int fcntl(int fd, int cmd, intptr_t arg)'),
  mmap: lib.func('intptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)'),
  munmap: lib.func('int munmap(uintptr_t addr, size_t length)'),
  mprotect: lib.func('int mprotect(uintptr_t addr, size_t length, int prot)'),
  epoll_create1: lib.func('int epoll_create1(int flags)'),
  epoll_ctl: lib.func('int epoll_ctl(int epfd, int op, int fd, uintptr_t event)'),
  epoll_wait: lib.func('int epoll_wait(int epfd, uintptr_t events, int maxevents, int timeout)'),
  timerfd_create: lib.func('int timerfd_create(int clockid, int flags)'),
  eventfd: lib.func('int eventfd(unsigned int initval, int flags)'),
  timerfd_settime: lib.func('int timerfd_settime(int fd, int flags, uintptr_t new_value, uintptr_t old_value)'),
  clock_gettime: lib.func('int clock_gettime(int clockid, uintptr_t tp)'),
  timer_create: lib.func('int timer_create(int clockid, uintptr_t sevp, uintptr_t timerid)'),
  timer_settime: lib.func('int timer_settime(uintptr_t timerid, int flags, uintptr_t new_value, uintptr_t old_value)'),
  timer_delete: lib.func('int timer_delete(uintptr_t timerid)'),
  gettid: lib.func('int gettid()'),
  getrusage: lib.func('int getrusage(int who, uintptr_t usage)'),
  socket: lib.func('int socket(int domain, int type, int protocol)'),
  mkfifo: lib.func('int mkfifo(const char *path, uint32_t mode)'),
  poll: lib.func('int poll(uintptr_t fds, uint64_t nfds, int timeout)'),
  connect: lib.func('int connect(int fd, uintptr_t addr, uint32_t addrlen)'),
  sendmsg: lib.func('intptr_t sendmsg(int fd, uintptr_t msg, int flags)'),
  recvmsg: lib.func('intptr_t recvmsg(int fd, uintptr_t msg, int flags)'),
  socketpair: lib.func('int socketpair(int domain, int type, int protocol, uintptr_t sv)'),
  dup2: lib.func('int dup2(int oldfd, int newfd)'),
  setns: lib.func('int setns(int fd, int nstype)'),
  posix_openpt: lib.func('int posix_openpt(int flags)'),
  grantpt: lib.func('int grantpt(int fd)'),
  unlockpt: lib.func('int unlockpt(int fd)'),
  ptsname_r: lib.func('int ptsname_r(int fd, uintptr_t buf, size_t buflen)'),
  prctl: lib.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)'),
  waitpid: lib.func('int waitpid(int pid, _Out_ int *status, int options)'),
  chroot: lib.func('int chroot(const char *path)'),
  chdir: lib.func('int chdir(const char *path)'),
  getgroups: lib.func('int getgroups(int size, uintptr_t list)'),
  setgroups: lib.func('int setgroups(size_t size, uintptr_t list)'),
  setresgid: lib.func('int setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid)'),
  setresuid: lib.func('int setresuid(uint32_t ruid, uint32_t euid, uint32_t suid)'),
  madvise: lib.func('int madvise(uintptr_t addr, size_t length, int advice)'),
  _exit: lib.func('void _exit(int status)'),
  epoll_pwait2: optionalFunc('int epoll_pwait2(int epfd, uintptr_t events, int maxevents, uintptr_t timeout, uintptr_t sigmask)'),
  seccomp: (operation, flags, argsAddress) => syscall(SYS_SECCOMP, 'unsigned int', operation, 'unsigned int', flags, 'uintptr_t', argsAddress),
};

const strerrorNative: (errnum: number) => string = lib.func('const char *strerror(int errnum)');

/** errno as the last libc call through koffi left it. */
export function errno(): number {
  return koffi.errno();
}

/** The C library's text for an errno value ("Bad address"), as err(3) prints it. */
export function strerror(errnum: number): string {
  return strerrorNative(errnum);
}

/** An ArrayBuffer over native memory at `address` (no copy); valid until that memory is unmapped. */
export function nativeView(address: number, length: number): ArrayBuffer {
  return koffi.view(BigInt(address), length) as ArrayBuffer;
}

export const O_RDONLY = 0;
export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_ANONYMOUS = 0x20;
export const MAP_NORESERVE = 0x4000;
export const SEEK_END = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const EPOLL_CTL_ADD = 1;
export const EPOLLIN = 0x001;
export const POLLOUT = 0x004;
export const EPOLL_CLOEXEC = 0o2000000;
export const TFD_NONBLOCK = 0o4000;
export const TFD_CLOEXEC = 0o2000000;
export const EFD_CLOEXEC = 0o2000000;
export const EFD_NONBLOCK = 0o4000;
export const SIGEV_THREAD_ID = 4;
export const PR_SET_DUMPABLE = 4;
export const PR_CAPBSET_READ = 23;
export const PR_CAPBSET_DROP = 24;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_CAP_AMBIENT = 47;
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;
export const MADV_DONTDUMP = 16;

export const ENOENT = 2;
export const ENOSYS = 38;
export const EINTR = 4;
export const EIO = 5;
export const EAGAIN = 11;
export const EFAULT = 14;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENAMETOOLONG = 36;
export const ENETDOWN = 100;
