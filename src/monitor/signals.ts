// SIGINT/SIGTERM while a guest runs. The vCPU loop runs synchronously on the main thread, and node's signal
// handling (libuv) only reaches JavaScript when the event loop turns. KVM_RUN and epoll_wait return EINTR when a
// handled signal hits the thread, and the loop then yields to the event loop. A signal can still land in the few
// microseconds between two KVM_RUN calls (handled, but nothing interrupts the next KVM_RUN), or on another of
// node's threads. A periodic tick (a POSIX timer sending SIGALRM to the main thread every STOP_TICK_MS) closes both
// gaps: a guest that spins without exiting is interrupted at least that often, so a stop request is seen within
// one tick plus an event-loop turn. The cost is one VM exit per tick.
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

/** Starts the tick that interrupts KVM_RUN on the main thread every STOP_TICK_MS. */
export function startStopTick(): void {
  process.on('SIGALRM', () => undefined); // a handler, so the tick interrupts instead of terminating
  const mem = scratch(128);
  const sev = mem.data;
  sev.setInt32(8, SIGALRM, true); // sigev_signo
  sev.setInt32(12, SIGEV_THREAD_ID, true); // sigev_notify
  sev.setInt32(16, libc.gettid(), true); // sigev_notify_thread_id: this (the main) thread
  if (libc.timer_create(CLOCK_MONOTONIC, mem.address, mem.address + TIMER_ID_AT) !== 0) throw SysError.last('timer_create');
  const timerId = sev.getUint32(TIMER_ID_AT, true) + sev.getUint32(TIMER_ID_AT + 4, true) * 0x1_0000_0000;
  const intervalNs = STOP_TICK_MS * 1e6;
  for (const at of [ITIMERSPEC_AT, ITIMERSPEC_AT + 16]) {
    sev.setBigInt64(at, 0n, true); // tv_sec
    sev.setBigInt64(at + 8, BigInt(intervalNs), true); // tv_nsec
  }
  if (libc.timer_settime(timerId, 0, mem.address + ITIMERSPEC_AT, 0) !== 0) throw SysError.last('timer_settime');
}
