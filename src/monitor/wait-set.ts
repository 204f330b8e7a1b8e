// The POLL hypercall's wait set: an epoll instance holding device fds (ABI reference §5.4). The timeout is
// epoll_pwait2's, so a POLL is one system call; the deadline is kept (CLOCK_MONOTONIC, read through the vDSO) so a
// wait interrupted by a signal resumes with what is left. Where epoll_pwait2 is missing (Linux < 5.11, glibc < 2.35),
// Solo5's way: a one-shot timerfd in the set, armed at each POLL (two calls).
import {
  CLOCK_MONOTONIC,
  EINTR,
  ENOSYS,
  EPOLLIN,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  TFD_CLOEXEC,
  TFD_NONBLOCK,
  errno,
  libc,
} from '../ffi/libc';
import { NativeRegion, scratch } from '../ffi/native-memory';
import { SysError } from '../ffi/sys-error';
import { MFT_MAX_ENTRIES } from '../solo5/abi';
import { readU64 } from './guest-address';

/** Whether this kernel and C library have epoll_pwait2: one call with a zero timeout, before any fd is in the set. */
function epollPwait2Works(epollFd: number, mem: NativeRegion): boolean {
  const pwait2 = libc.epoll_pwait2;
  if (pwait2 === undefined) return false;
  mem.data.setBigUint64(TIMEOUT_AT, 0n, true);
  mem.data.setBigUint64(TIMEOUT_AT + 8, 0n, true);
  if (pwait2(epollFd, mem.address + EVENTS_AT, 1, mem.address + TIMEOUT_AT, 0) >= 0) return true;
  const error = errno();
  if (error === ENOSYS) return false;
  throw new SysError('epoll_pwait2', error);
}

/** epoll user data that marks the timer (device handles are manifest indices < 64). */
const TIMER_TOKEN = 0xfffffffe;
/** epoll user data of the fd that makes a wait return WAIT_INTERRUPTED (the net ring's fault signal). */
const WAKE_TOKEN = 0xfffffffd;
/** struct epoll_event is packed on x86_64: u32 events @0, u64 data @4. */
const EPOLL_EVENT_BYTES = 12;
/** Every device a manifest can declare, plus the timer and the wake fd. */
const MAX_EVENTS = MFT_MAX_ENTRIES + 2;
const ITIMERSPEC_AT = 0;
/** The timespec epoll_pwait2 reads, and the one clock_gettime fills. */
const TIMEOUT_AT = 32;
const NOW_AT = 48;
const EVENTS_AT = 64;
const NS_PER_SECOND = 1e9;

/** Result of a wait: the ready-set bitmask is split in two u32 halves so nothing is allocated. */
export const WAIT_INTERRUPTED = -1;

export class WaitSet {
  private readonly epollFd: number;
  private readonly timerFd: number;
  private readonly mem: NativeRegion;
  readyLow = 0;
  readyHigh = 0;
  /** epoll_pwait2, or undefined: the timerfd way. */
  private readonly pwait2: ((epfd: number, events: number, max: number, timeout: number, sigmask: number) => number) | undefined;
  /** The current POLL's deadline on CLOCK_MONOTONIC (seconds and nanoseconds), or −1: no timeout (0 ns). */
  private deadlineSec = 0;
  private deadlineNsec = 0;
  private immediate = false;

  constructor() {
    this.epollFd = libc.epoll_create1(EPOLL_CLOEXEC);
    if (this.epollFd < 0) throw SysError.last('epoll_create1');
    this.mem = scratch(EVENTS_AT + MAX_EVENTS * EPOLL_EVENT_BYTES);
    this.pwait2 = epollPwait2Works(this.epollFd, this.mem) ? libc.epoll_pwait2 : undefined;
    this.timerFd = -1;
    if (this.pwait2 === undefined) {
      this.timerFd = libc.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
      if (this.timerFd < 0) throw SysError.last('timerfd_create');
      this.add(this.timerFd, TIMER_TOKEN);
    }
  }

  /** Starts a POLL of `timeoutNs` from now (the guest's u64, as a double: beyond 2^53 ns it is 104 days anyway). */
  begin(timeoutNs: number): void {
    if (this.pwait2 === undefined) {
      this.arm(timeoutNs);
      return;
    }
    this.immediate = timeoutNs === 0;
    if (this.immediate) return;
    this.now();
    const seconds = Math.floor(timeoutNs / NS_PER_SECOND);
    let nsec = this.mem.data.getUint32(NOW_AT + 8, true) + (timeoutNs - seconds * NS_PER_SECOND);
    let sec = readU64(this.mem.data, NOW_AT) + seconds;
    if (nsec >= NS_PER_SECOND) {
      nsec -= NS_PER_SECOND;
      sec += 1;
    }
    this.deadlineSec = sec;
    this.deadlineNsec = nsec;
  }

  private now(): void {
    if (libc.clock_gettime(CLOCK_MONOTONIC, this.mem.address + NOW_AT) !== 0) throw SysError.last('clock_gettime');
  }

  /** Writes what is left of the deadline into the timeout timespec (zero once it has passed). */
  private writeRemaining(): void {
    const view = this.mem.data;
    let sec = 0;
    let nsec = 0;
    if (!this.immediate) {
      this.now();
      sec = this.deadlineSec - readU64(view, NOW_AT);
      nsec = this.deadlineNsec - view.getUint32(NOW_AT + 8, true);
      if (nsec < 0) {
        nsec += NS_PER_SECOND;
        sec -= 1;
      }
      if (sec < 0) {
        sec = 0;
        nsec = 0;
      }
    }
    view.setUint32(TIMEOUT_AT, sec >>> 0, true);
    view.setUint32(TIMEOUT_AT + 4, Math.floor(sec / 0x1_0000_0000), true);
    view.setUint32(TIMEOUT_AT + 8, nsec, true);
    view.setUint32(TIMEOUT_AT + 12, 0, true);
  }

  /** Adds a readable-when-ready fd reported as `token` (a device handle). */
  add(fd: number, token: number): void {
    const event = this.mem.data;
    event.setUint32(EVENTS_AT, EPOLLIN, true);
    event.setUint32(EVENTS_AT + 4, token, true);
    event.setUint32(EVENTS_AT + 8, 0, true);
    if (libc.epoll_ctl(this.epollFd, EPOLL_CTL_ADD, fd, this.mem.address + EVENTS_AT) < 0) throw SysError.last('epoll_ctl');
  }

  /** Adds an fd whose readiness interrupts every wait (the event loop then runs, and sees why). */
  addWake(fd: number): void {
    this.add(fd, WAKE_TOKEN);
  }

  /**
   * Arms the timer one-shot, `timeoutNs` from now. The lowest nanosecond bit is forced on so a zero timeout still
   * fires (an all-zero itimerspec would disarm the timer).
   */
  private arm(timeoutNs: number): void {
    const spec = this.mem.data;
    // Beyond 2^53 ns (104 days) doubles lose nanoseconds; guests re-poll after an early wake-up anyway.
    const ns = Math.min(timeoutNs, Number.MAX_SAFE_INTEGER);
    const seconds = Math.floor(ns / 1e9);
    const nanos = (ns - seconds * 1e9) | 1;
    spec.setUint32(ITIMERSPEC_AT, 0, true); // it_interval.tv_sec
    spec.setUint32(ITIMERSPEC_AT + 4, 0, true);
    spec.setUint32(ITIMERSPEC_AT + 8, 0, true); // it_interval.tv_nsec
    spec.setUint32(ITIMERSPEC_AT + 12, 0, true);
    spec.setUint32(ITIMERSPEC_AT + 16, seconds >>> 0, true); // it_value.tv_sec
    spec.setUint32(ITIMERSPEC_AT + 20, Math.floor(seconds / 0x1_0000_0000), true);
    spec.setUint32(ITIMERSPEC_AT + 24, nanos, true); // it_value.tv_nsec
    spec.setUint32(ITIMERSPEC_AT + 28, 0, true);
    if (libc.timerfd_settime(this.timerFd, 0, this.mem.address + ITIMERSPEC_AT, 0) < 0) throw SysError.last('timerfd_settime');
  }

  /**
   * Blocks until a device is ready or the armed timer fires. Returns the number of ready devices (their handles in
   * readyLow/readyHigh), or WAIT_INTERRUPTED when a signal arrived first (the timer stays armed: wait again).
   */
  wait(): number {
    let count: number;
    if (this.pwait2 !== undefined) {
      this.writeRemaining();
      count = this.pwait2(this.epollFd, this.mem.address + EVENTS_AT, MAX_EVENTS, this.mem.address + TIMEOUT_AT, 0);
    } else {
      count = libc.epoll_wait(this.epollFd, this.mem.address + EVENTS_AT, MAX_EVENTS, -1);
    }
    if (count < 0) {
      const error = errno();
      if (error === EINTR) return WAIT_INTERRUPTED;
      throw new SysError('epoll_wait', error);
    }
    let ready = 0;
    this.readyLow = 0;
    this.readyHigh = 0;
    const events = this.mem.data;
    for (let i = 0; i < count; i++) {
      const token = events.getUint32(EVENTS_AT + i * EPOLL_EVENT_BYTES + 4, true);
      if (token === TIMER_TOKEN) continue;
      if (token === WAKE_TOKEN) return WAIT_INTERRUPTED;
      if (token < 32) this.readyLow |= 1 << token;
      else this.readyHigh |= 1 << (token - 32);
      ready++;
    }
    this.readyLow >>>= 0;
    this.readyHigh >>>= 0;
    return ready;
  }
}
