// SIGINT/SIGTERM while a guest runs. The vCPU loop runs synchronously on the main thread, and node's signal
// handling (libuv) only reaches JavaScript when the event loop turns. KVM_RUN and epoll_wait return EINTR when a
// handled signal hits the thread, and the loop then yields to the event loop. A signal can still land in the few
// microseconds between two KVM_RUN calls (handled, but nothing interrupts the next KVM_RUN), or on another of
// node's threads. A periodic tick (a POSIX timer sending SIGALRM to the main thread every STOP_TICK_MS) closes both
// gaps: a guest that spins without exiting is interrupted at least that often, so a stop request is seen within
// one tick plus an event-loop turn. The cost is one VM exit per tick.
//
// A guest idle in POLL needs no tick: the main thread sleeps in epoll_pwait2, where a signal interrupts it, and the
// event loop's signal pipe (event-loop-signal-pipe.ts) is in the same wait set, so a signal caught just before the
// wait began makes it return at once. When a POLL is interrupted (by the tick or anything else) the tick pauses,
// and it resumes when the POLL returns to the guest: an idle guest costs one tick per POLL, not fifty a second.
// Where the pipe is not found the tick never pauses.
import { CLOCK_MONOTONIC, SIGEV_THREAD_ID, libc } from '../ffi/libc';
import { scratch } from '../ffi/native-memory';
import { SysError } from '../ffi/sys-error';

export const STOP_TICK_MS = 20;
const SIGALRM = 14;
const TIMER_ID_AT = 64;
const ITIMERSPEC_AT = 80;

/** Signals that stop the monitor, with their numbers for the "Exiting on signal N" message. */
export const STOP_SIGNALS: readonly [NodeJS.Signals, number][] = [
  ['SIGINT', 2],
  ['SIGTERM', 15],
];

/** Calls `onStop(signalNumber)` when SIGINT or SIGTERM arrives. */
export function onStopSignal(onStop: (signalNumber: number) => void): void {
  for (const [name, number] of STOP_SIGNALS) process.on(name, () => onStop(number));
}

const STOPPED_SPEC_AT = 16 + ITIMERSPEC_AT + 16;

/** The tick that interrupts KVM_RUN on the main thread every STOP_TICK_MS, paused while the guest idles in POLL. */
export class StopTick {
  private readonly mem = scratch(160);
  private timerId = -1;
  private paused = false;
  /** Set once the event loop's signal pipe is in POLL's wait set: only then may the tick pause. */
  mayPause = false;

  start(): void {
    process.on('SIGALRM', () => undefined); // a handler, so the tick interrupts instead of terminating
    const sev = this.mem.data;
    sev.setInt32(8, SIGALRM, true); // sigev_signo
    sev.setInt32(12, SIGEV_THREAD_ID, true); // sigev_notify
    sev.setInt32(16, libc.gettid(), true); // sigev_notify_thread_id: this (the main) thread
    if (libc.timer_create(CLOCK_MONOTONIC, this.mem.address, this.mem.address + TIMER_ID_AT) !== 0) throw SysError.last('timer_create');
    this.timerId = sev.getUint32(TIMER_ID_AT, true) + sev.getUint32(TIMER_ID_AT + 4, true) * 0x1_0000_0000;
    const intervalNs = STOP_TICK_MS * 1e6;
    for (const at of [ITIMERSPEC_AT, ITIMERSPEC_AT + 16]) {
      sev.setBigInt64(at, 0n, true); // tv_sec
      sev.setBigInt64(at + 8, BigInt(intervalNs), true); // tv_nsec
    }
    for (let at = STOPPED_SPEC_AT; at < STOPPED_SPEC_AT + 32; at += 8) sev.setBigInt64(at, 0n, true);
    this.set(ITIMERSPEC_AT);
  }

  /** A POLL was interrupted while the guest waits: no tick until it returns. */
  pauseWhileIdle(): void {
    if (!this.mayPause || this.paused) return;
    this.set(STOPPED_SPEC_AT);
    this.paused = true;
  }

  /** A POLL returns to the guest: the tick runs again. */
  resume(): void {
    if (!this.paused) return;
    this.set(ITIMERSPEC_AT);
    this.paused = false;
  }

  private set(specAt: number): void {
    if (libc.timer_settime(this.timerId, 0, this.mem.address + specAt, 0) !== 0) throw SysError.last('timer_settime');
  }
}
