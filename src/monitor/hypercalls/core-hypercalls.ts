// The core module's hypercalls: WALLTIME, PUTS and POLL (ABI reference §5.3–5.4). They run once per guest exit:
// no allocation, no logging; guest memory is read and written through the views created at boot.
import { CLOCK_REALTIME, EAGAIN, EINTR, POLLOUT, errno, libc, strerror } from '../../ffi/libc';
import { NativeRegion, scratch } from '../../ffi/native-memory';
import { SysError } from '../../ffi/sys-error';
import {
  HVT_HYPERCALL_POLL,
  HVT_HYPERCALL_PUTS,
  HVT_HYPERCALL_WALLTIME,
  HVT_POLL,
  HVT_PUTS,
  HVT_WALLTIME,
} from '../../solo5/abi';
import { readU64 } from '../guest-address';
import { GuestMemory } from '../guest-memory';
import { fatal } from '../monitor-error';
import { WAIT_INTERRUPTED, WaitSet } from '../wait-set';
import { HypercallTable } from './hypercall-table';
import { StopTick } from '../signals';

const STDOUT_FD = 1;
/** Bytes a pipe takes in one write once poll() says it is writable (POSIX PIPE_BUF on Linux). */
const PIPE_BUF = 4096;
const TWO_POW_16 = 0x1_0000;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * Stores sec × 10^9 + nsec as a u64 at `offset` exactly, without BigInt: sec is split into 16-bit halves so that
 * every intermediate product stays below 2^53.
 */
export function writeNanoseconds(view: DataView, offset: number, sec: number, nsec: number): void {
  const secHigh = Math.floor(sec / TWO_POW_16);
  const secLow = sec - secHigh * TWO_POW_16;
  const a = secHigh * 1e9; // contributes a × 2^16
  const aHigh = Math.floor(a / TWO_POW_16);
  const aLow = a - aHigh * TWO_POW_16;
  const rest = aLow * TWO_POW_16 + secLow * 1e9 + nsec;
  const restHigh = Math.floor(rest / TWO_POW_32);
  view.setUint32(offset, rest - restHigh * TWO_POW_32, true);
  view.setUint32(offset + 4, aHigh + restHigh, true);
}

export class CoreHypercalls {
  private readonly clock: NativeRegion = scratch(16);
  /** One struct pollfd {fd = stdout, events = POLLOUT}: waits for a non-blocking stdout to drain. */
  private readonly stdoutWritable: NativeRegion = scratch(8);
  private pollArg = 0;
  /** The part of an interrupted PUTS still to write: host address and length. */
  private putsAt = 0;
  private putsLeft = 0;

  constructor(
    private readonly memory: GuestMemory,
    private readonly waitSet: WaitSet,
    private readonly tick: StopTick,
  ) {
    this.stdoutWritable.data.setInt32(0, STDOUT_FD, true);
    this.stdoutWritable.data.setInt16(4, POLLOUT, true);
  }

  register(table: HypercallTable): void {
    table.register(HVT_HYPERCALL_WALLTIME, this.walltime);
    table.register(HVT_HYPERCALL_PUTS, Object.assign(this.puts, { resume: this.putsWrite }));
    const poll = Object.assign(this.poll, { resume: this.pollWait });
    table.register(HVT_HYPERCALL_POLL, poll);
  }

  private readonly walltime = (arg: number): boolean => {
    this.memory.checkWritable(arg, HVT_WALLTIME.bytes, 'WALLTIME');
    if (libc.clock_gettime(CLOCK_REALTIME, this.clock.address) !== 0) throw SysError.last('clock_gettime');
    const clock = this.clock.data;
    const sec = readU64(clock, 0);
    const nsec = clock.getUint32(8, true);
    writeNanoseconds(this.memory.data, arg + HVT_WALLTIME.nsecs, sec, nsec);
    return true;
  };

  private readonly puts = (arg: number): boolean => {
    const memory = this.memory;
    memory.check(arg, HVT_PUTS.bytes, 'PUTS');
    const data = readU64(memory.data, arg + HVT_PUTS.data);
    const len = readU64(memory.data, arg + HVT_PUTS.len);
    memory.check(data, len, 'PUTS', arg + HVT_PUTS.data);
    this.putsAt = memory.hostBase + data;
    this.putsLeft = len;
    return this.putsWrite();
  };

  /**
   * Writes what is left of the guest's string. It waits for stdout in poll() and writes at most PIPE_BUF at once, so
   * that a full pipe or a stopped terminal never blocks inside write(), which a signal would only restart: poll()
   * returns EINTR instead, and the call yields to the event loop (the stop signals run there) and resumes later.
   */
  private readonly putsWrite = (): boolean => {
    while (this.putsLeft > 0) {
      const ready = libc.poll(this.stdoutWritable.address, 1, -1);
      if (ready < 0) {
        const error = errno();
        if (error === EINTR) return false;
        fatal(`Fatal error when writing guest console output: ${strerror(error)}`);
      }
      const written = libc.write(STDOUT_FD, this.putsAt, Math.min(this.putsLeft, PIPE_BUF));
      if (written < 0) {
        const error = errno();
        if (error === EINTR) return false;
        if (error === EAGAIN) continue; // a non-blocking stdout filled up again: back to poll()
        fatal(`Fatal error when writing guest console output: ${strerror(error)}`);
      }
      this.putsAt += written;
      this.putsLeft -= written;
    }
    return true;
  };

  private readonly poll = (arg: number): boolean => {
    const view = this.memory.data;
    this.memory.checkWritable(arg, HVT_POLL.bytes, 'POLL');
    this.pollArg = arg;
    this.waitSet.begin(readU64(view, arg + HVT_POLL.timeoutNsecs));
    return this.pollWait();
  };

  private readonly pollWait = (): boolean => {
    const ready = this.waitSet.wait();
    if (ready === WAIT_INTERRUPTED) {
      this.tick.pauseWhileIdle();
      return false;
    }
    this.tick.resume();
    const view = this.memory.data;
    const arg = this.pollArg;
    view.setUint32(arg + HVT_POLL.readySet, this.waitSet.readyLow, true);
    view.setUint32(arg + HVT_POLL.readySet + 4, this.waitSet.readyHigh, true);
    view.setInt32(arg + HVT_POLL.ret, ready, true);
    return true;
  };
}
