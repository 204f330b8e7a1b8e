// The monitor's side of Solo5's network ring (ABI reference §4.4, §6.4): the reservation at the top of guest memory,
// the kick (KVM_IOEVENTFD on port 0x600 into an eventfd), the worker thread that serves the ring, and its stop at
// HALT. Any step of the set-up that fails leaves the ring unoffered (a warning, then the hypercalls as before).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EFD_CLOEXEC, EFD_NONBLOCK, errno, libc, strerror } from '../../ffi/libc';
import { scratch } from '../../ffi/native-memory';
import { HVT_RING } from '../../solo5/abi';
import { GuestMemory } from '../guest-memory';
import { KvmVm } from '../kvm/kvm-vm';
import { fatal } from '../monitor-error';
import { WaitSet } from '../wait-set';
import { CONTROL_BYTES, CONTROL_STATE, RING_STATE, RingWorkerData, faultMessage } from './ring-control';

/** How long the monitor waits for the worker to start, and to finish the guest's last frames at HALT. */
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 2_000;

/** The guest-visible size once the ring's 2 MiB are taken from the top (ABI reference §4.4); undefined: too small. */
export function ringReservation(allocBytes: number, kernelEnd: number): number | undefined {
  if (allocBytes < 2 * HVT_RING.reservedBytes) return undefined;
  const ringGpa = allocBytes - HVT_RING.reservedBytes;
  // Our loader refuses nothing above the reduced size, so a kernel reaching into the top 2 MiB keeps them.
  return kernelEnd <= ringGpa ? ringGpa : undefined;
}

/** The allocation with room for the ring: the request plus 2 MiB, rounded up to the granule, capped. */
export function withRingRoom(bytes: number, granuleBytes: number, maxBytes: number): number {
  const wanted = Math.ceil((bytes + HVT_RING.reservedBytes) / granuleBytes) * granuleBytes;
  return Math.min(wanted, maxBytes);
}

export class NetRing {
  private readonly control = new SharedArrayBuffer(CONTROL_BYTES);
  private readonly state = new Int32Array(this.control);
  private kickFd = -1;
  private worker: Worker | undefined;
  /** The 8 bytes written to the kick eventfd to wake the worker at HALT (made now: nothing is mapped after boot). */
  private readonly wakeValue = scratch(8);

  private constructor(readonly ringGpa: number) {}

  /** Takes the top 2 MiB of `memory` for the ring (the guest no longer sees them), or warns and returns undefined. */
  static reserve(memory: GuestMemory, kernelEnd: number, report: (message: string) => void): NetRing | undefined {
    const ringGpa = ringReservation(memory.allocBytes, kernelEnd);
    if (ringGpa === undefined) {
      report('Not enough guest memory for ring allocation');
      return undefined;
    }
    memory.guestSizeBytes = ringGpa;
    memory.bytes.fill(0, ringGpa, memory.allocBytes);
    return new NetRing(ringGpa);
  }

  /**
   * Registers the kick and starts the worker; false (after a warning) when a step fails, and the guest then uses
   * hypercalls. `fdByHandle` holds the TAP fd of each guest handle (−1: none).
   */
  start(vm: KvmVm, memory: GuestMemory, fdByHandle: Int32Array, waitSet: WaitSet, report: (message: string) => void): boolean {
    const failed = (what: string): false => {
      report(`net ring: ${what}; using hypercalls`);
      return false;
    };
    if (!vm.supportsIoEventFd()) return failed('KVM_CAP_IOEVENTFD is not available');
    this.kickFd = libc.eventfd(0, EFD_CLOEXEC);
    if (this.kickFd < 0) return failed(`eventfd: ${strerror(errno())}`);
    const faultFd = libc.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (faultFd < 0) return failed(`eventfd: ${strerror(errno())}`);
    const registered = vm.registerKick(this.kickFd);
    if (registered !== 0) return failed(`KVM_IOEVENTFD: ${strerror(registered)}`);
    waitSet.addWake(faultFd);
    const data: RingWorkerData = {
      control: this.control,
      hostBase: memory.hostBase,
      allocBytes: memory.allocBytes,
      guestSizeBytes: memory.guestSizeBytes,
      ringGpa: this.ringGpa,
      kickFd: this.kickFd,
      faultFd,
      fdByHandle: Array.from(fdByHandle),
      unwritable: [...memory.unwritableRanges],
      inaccessible: [...memory.inaccessibleRanges],
    };
    try {
      this.worker = new Worker(join(__dirname, 'ring-worker.js'), { workerData: data, stdout: false, stderr: false });
    } catch (error) {
      return failed(`worker: ${(error as Error).message}`);
    }
    this.worker.unref();
    // Node ends a worker at exit by interrupting its JavaScript, and waits for it; a worker blocked in read() of the
    // kick eventfd would never see that. Every exit (HALT, a signal, a fatal error) therefore wakes it first.
    process.on('exit', () => this.wake());
    // The worker must be up before the monitor confines itself: starting a thread of node's opens files.
    Atomics.wait(this.state, CONTROL_STATE, RING_STATE.starting, START_TIMEOUT_MS);
    if (Atomics.load(this.state, CONTROL_STATE) !== RING_STATE.serving) {
      void this.worker.terminate();
      return failed('the worker did not start');
    }
    return true;
  }

  /** Ends the monitor with the worker's message once it has found the guest breaking the ring's rules. */
  throwIfFailed(): void {
    if (Atomics.load(this.state, CONTROL_STATE) === RING_STATE.failed) fatal(faultMessage(this.control));
  }

  /** At HALT: asks the worker to stop, wakes it, and waits until it has sent what the guest queued before halting. */
  stop(): void {
    if (!this.wake()) return;
    Atomics.wait(this.state, CONTROL_STATE, RING_STATE.stopRequested, STOP_TIMEOUT_MS);
    this.throwIfFailed();
  }

  /** Asks a serving worker to stop and writes the kick eventfd, so that it leaves read(); false if it was not serving. */
  private wake(): boolean {
    if (Atomics.compareExchange(this.state, CONTROL_STATE, RING_STATE.serving, RING_STATE.stopRequested) !== RING_STATE.serving) return false;
    this.wakeValue.data.setBigUint64(0, 1n, true);
    libc.write(this.kickFd, this.wakeValue.address, 8);
    return true;
  }
}
