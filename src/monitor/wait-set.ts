// The POLL hypercall's wait set: an epoll instance holding device fds and a one-shot timer (ABI reference §5.4).
import {
  CLOCK_MONOTONIC,
  EINTR,
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

/** epoll user data that marks the timer (device handles are manifest indices < 64). */
const TIMER_TOKEN = 0xfffffffe;
/** struct epoll_event is packed on x86_64: u32 events @0, u64 data @4. */
const EPOLL_EVENT_BYTES = 12;
/** Every device a manifest can declare, plus the timer. */
const MAX_EVENTS = MFT_MAX_ENTRIES + 1;
const ITIMERSPEC_AT = 0;
const EVENTS_AT = 64;

/** Result of a wait: the ready-set bitmask is split in two u32 halves so nothing is allocated. */
export const WAIT_INTERRUPTED = -1;

export class WaitSet {
  private readonly epollFd: number;
  private readonly timerFd: number;
  private readonly mem: NativeRegion;
  private members = 1;
  readyLow = 0;
  readyHigh = 0;

  constructor() {
    this.epollFd = libc.epoll_create1(EPOLL_CLOEXEC);
    if (this.epollFd < 0) throw SysError.last('epoll_create1');
    this.timerFd = libc.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (this.timerFd < 0) throw SysError.last('timerfd_create');
    this.mem = scratch(EVENTS_AT + MAX_EVENTS * EPOLL_EVENT_BYTES);
    this.add(this.timerFd, TIMER_TOKEN);
  }

  /** Adds a readable-when-ready fd reported as `token` (a device handle). */
  add(fd: number, token: number): void {
    const event = this.mem.data;
    event.setUint32(EVENTS_AT, EPOLLIN, true);
    event.setUint32(EVENTS_AT + 4, token, true);
    event.setUint32(EVENTS_AT + 8, 0, true);
    if (libc.epoll_ctl(this.epollFd, EPOLL_CTL_ADD, fd, this.mem.address + EVENTS_AT) < 0) throw SysError.last('epoll_ctl');
    if (fd !== this.timerFd) this.members++;
  }

  /**
   * Arms the timer one-shot, `timeoutNs` from now. The lowest nanosecond bit is forced on so a zero timeout still
   * fires (an all-zero itimerspec would disarm the timer).
   */
  arm(timeoutNs: number): void {
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
    const count = libc.epoll_wait(this.epollFd, this.mem.address + EVENTS_AT, this.members + 1, -1);
    if (count < 0) {
      if (errno() === EINTR) return WAIT_INTERRUPTED;
      throw SysError.last('epoll_wait');
    }
    let ready = 0;
    this.readyLow = 0;
    this.readyHigh = 0;
    const events = this.mem.data;
    for (let i = 0; i < count; i++) {
      const token = events.getUint32(EVENTS_AT + i * EPOLL_EVENT_BYTES + 4, true);
      if (token === TIMER_TOKEN) continue;
      if (token < 32) this.readyLow |= 1 << token;
      else this.readyHigh |= 1 << (token - 32);
      ready++;
    }
    this.readyLow >>>= 0;
    this.readyHigh >>>= 0;
    return ready;
  }
}
