// The ring's worker thread (ABI reference §6.4, "host I/O thread"): serves the guest's ring until the monitor asks
// it to stop, or until the guest breaks the ring's rules; then it reports, wakes the vCPU's POLL, and parks (it never
// exits by itself: once the seccomp filter is on, the monitor ends it by ending the process).
import { workerData } from 'node:worker_threads';
import { EINTR, errno, libc, nativeView, strerror } from '../../ffi/libc';
import { scratch } from '../../ffi/native-memory';
import { CONTROL_STATE, RING_STATE, RingWorkerData, recordFault } from './ring-control';
import { RingFault, RingIo, RingServer } from './ring-server';

const data = workerData as RingWorkerData;
const control = new Int32Array(data.control);
const counter = scratch(8);

const io: RingIo = {
  write(fd, hostAddress, length) {
    const written = libc.write(fd, hostAddress, length);
    return written < 0 ? -errno() : written;
  },
  read(fd, hostAddress, length) {
    const read = libc.read(fd, hostAddress, length);
    return read < 0 ? -errno() : read;
  },
  waitForKick() {
    // Blocking read of the kick eventfd: returns on the guest's next kick or the monitor's stop (it writes 1).
    if (libc.read(data.kickFd, counter.address, 8) < 0) {
      const error = errno();
      if (error !== EINTR) throw new RingFault(`net ring: reading the kick eventfd failed: ${strerror(error)}`);
    }
  },
  stopRequested: () => Atomics.load(control, CONTROL_STATE) === RING_STATE.stopRequested,
  describe: strerror,
};

function park(): never {
  for (;;) Atomics.wait(control, CONTROL_STATE, Atomics.load(control, CONTROL_STATE));
}

const server = new RingServer(nativeView(data.hostBase, data.allocBytes), { ...data, fdByHandle: Int32Array.from(data.fdByHandle) }, io);
Atomics.store(control, CONTROL_STATE, RING_STATE.serving);
Atomics.notify(control, CONTROL_STATE);
try {
  server.serve();
  Atomics.store(control, CONTROL_STATE, RING_STATE.stopped);
  Atomics.notify(control, CONTROL_STATE);
} catch (error) {
  recordFault(data.control, error instanceof RingFault ? error.message : `net ring: internal error: ${String(error)}`);
  counter.data.setBigUint64(0, 1n, true);
  libc.write(data.faultFd, counter.address, 8);
}
park();
