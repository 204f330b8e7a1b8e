// The block the monitor's main thread and the ring's worker share (a SharedArrayBuffer): the worker's state, and
// the message of the fault that ended it. Both sides use Atomics on it; it holds nothing of the guest's.

export const RING_STATE = {
  starting: 0,
  serving: 1,
  stopRequested: 2,
  stopped: 3,
  failed: 4,
} as const;

/** Int32 slots. */
export const CONTROL_STATE = 0;
export const CONTROL_MESSAGE_LENGTH = 1;
/** Where the message's UTF-8 bytes start, and how many fit. */
export const CONTROL_MESSAGE_AT = 64;
export const CONTROL_MESSAGE_MAX = 1024;
export const CONTROL_BYTES = CONTROL_MESSAGE_AT + CONTROL_MESSAGE_MAX;

/** What the worker is started with (workerData): numbers and one SharedArrayBuffer, nothing to copy per frame. */
export interface RingWorkerData {
  control: SharedArrayBuffer;
  /** Host address of guest-physical 0, and the whole allocation's length (the ring lies above guestSizeBytes). */
  hostBase: number;
  allocBytes: number;
  guestSizeBytes: number;
  ringGpa: number;
  /** The eventfd KVM signals on a kick (read by the worker), and the one in POLL's wait set the worker signals on a fault. */
  kickFd: number;
  faultFd: number;
  /** TAP fd by guest handle, -1 where none (MFT_MAX_ENTRIES of them). */
  fdByHandle: number[];
  /** Flat [start, end) GPA pairs the host maps read-only, and without access (GuestMemory's). */
  unwritable: number[];
  inaccessible: number[];
}

/** The fault message the worker left in `control` (empty when none). */
export function faultMessage(control: SharedArrayBuffer): string {
  const words = new Int32Array(control);
  const length = Math.min(Atomics.load(words, CONTROL_MESSAGE_LENGTH), CONTROL_MESSAGE_MAX);
  return Buffer.from(new Uint8Array(control, CONTROL_MESSAGE_AT, length)).toString('utf8');
}

/** Stores `message` (cut to CONTROL_MESSAGE_MAX bytes) and marks the worker failed. */
export function recordFault(control: SharedArrayBuffer, message: string): void {
  const words = new Int32Array(control);
  const { written } = new TextEncoder().encodeInto(message, new Uint8Array(control, CONTROL_MESSAGE_AT, CONTROL_MESSAGE_MAX));
  Atomics.store(words, CONTROL_MESSAGE_LENGTH, written);
  Atomics.store(words, CONTROL_STATE, RING_STATE.failed);
  Atomics.notify(words, CONTROL_STATE);
}
