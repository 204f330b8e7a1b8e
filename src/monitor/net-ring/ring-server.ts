// The host side of Solo5's network ring (ABI reference §6.4), run on the ring's worker thread: takes the entries
// the guest queued, writes frames to and reads frames from the TAPs straight between the fd and guest memory, and
// posts a commit for every read. Nothing is allocated, logged or awaited per frame.
//
// The guest is hostile. The host keeps its own copies of the indices it owns (ent_head, com_tail) and never reads
// them back; it reads each entry field once and checks it before use; any index or length out of range ends the
// monitor (RingFault) before anything touches memory outside the guest's. A snapshot of ent_tail is at most 1024
// entries ahead of ent_head, so every batch ends.
//
// Memory ordering. The guest runs on another CPU and shares these bytes. The indices are read and written with
// Atomics (sequentially consistent; on x86_64 a plain load and an xchg): the JIT may neither hoist an index load out
// of the spin loop nor move the entry reads before the load of ent_tail that published them, and the store of
// com_tail comes after the commit's fields. Setting needs_kick and re-reading ent_tail is the one place a full fence
// is needed (the guest stores ent_tail, fences, reads needs_kick: Dekker's pattern); the seq_cst store gives it.
// Entry and commit fields are plain DataView accesses, ordered by those index operations. The guest memory is an
// external ArrayBuffer, not a SharedArrayBuffer: Atomics.load/store/notify-free operations work on any integer
// typed array, and the view never moves or shrinks while the worker lives (the mapping outlives it).
import {
  HVT_RING,
  HVT_RING_COMMIT,
  HVT_RING_ENTRY,
  HVT_RING_OP_NET_READ,
  HVT_RING_OP_NET_WRITE,
  MFT_MAX_ENTRIES,
  SOLO5_R_AGAIN,
  SOLO5_R_EINVAL,
  SOLO5_R_OK,
} from '../../solo5/abi';

/** The system calls the server makes, each answering a byte count or −errno (one errno read per call). */
export interface RingIo {
  write(fd: number, hostAddress: number, length: number): number;
  read(fd: number, hostAddress: number, length: number): number;
  /** Blocks until the guest kicks or a stop is asked for. */
  waitForKick(): void;
  stopRequested(): boolean;
  /** strerror. */
  describe(errnum: number): string;
}

export interface RingLayout {
  hostBase: number;
  guestSizeBytes: number;
  ringGpa: number;
  fdByHandle: ArrayLike<number>;
  unwritable: readonly number[];
  inaccessible: readonly number[];
}

/** A guest error found in the ring: the monitor ends with this message and status 1. */
export class RingFault extends Error {}

const EINTR = 4;
const EAGAIN = 11;
/** Iterations the server polls ent_tail before it asks for a kick and sleeps (Solo5's count). */
const SPIN_ITERATIONS = 4096;
const SLOTS = HVT_RING.slots;
const SLOT_MASK = SLOTS - 1;
const ENT_TAIL = HVT_RING.entTail / 4;
const COM_HEAD = HVT_RING.comHead / 4;
const ENT_HEAD = HVT_RING.entHead / 4;
const COM_TAIL = HVT_RING.comTail / 4;
const NEEDS_KICK = HVT_RING.needsKick / 4;

export class RingServer {
  private readonly indices: Uint32Array;
  private readonly view: DataView;
  private readonly entriesAt: number;
  private readonly commitsAt: number;
  private entHead = 0;
  private comTail = 0;

  /** `memory` covers guest-physical 0 up to the end of the ring at least. */
  constructor(
    memory: ArrayBuffer,
    private readonly layout: RingLayout,
    private readonly io: RingIo,
  ) {
    this.indices = new Uint32Array(memory, layout.ringGpa, HVT_RING.entries / 4);
    this.view = new DataView(memory);
    this.entriesAt = layout.ringGpa + HVT_RING.entries;
    this.commitsAt = layout.ringGpa + HVT_RING.commits;
  }

  /** Serves entries until a stop is asked for, then what the guest had queued; throws RingFault. */
  serve(): void {
    for (;;) {
      let tail = Atomics.load(this.indices, ENT_TAIL);
      if (tail === this.entHead) {
        if (this.io.stopRequested()) return;
        tail = this.awaitEntries();
        if (tail === this.entHead) continue;
      }
      this.serveUpTo(tail);
    }
  }

  /** Spins, then sleeps until kicked; returns the new ent_tail (unchanged after a stop or a spurious kick). */
  private awaitEntries(): number {
    const indices = this.indices;
    for (let i = 0; i < SPIN_ITERATIONS; i++) {
      const tail = Atomics.load(indices, ENT_TAIL);
      if (tail !== this.entHead) return tail;
    }
    Atomics.store(indices, NEEDS_KICK, 1);
    let tail = Atomics.load(indices, ENT_TAIL);
    if (tail === this.entHead && !this.io.stopRequested()) {
      this.io.waitForKick();
      tail = Atomics.load(indices, ENT_TAIL);
    }
    Atomics.store(indices, NEEDS_KICK, 0);
    return tail;
  }

  /** Serves the entries up to the snapshot `tail`: writes in one batch (ent_head published once), reads one by one. */
  private serveUpTo(tail: number): void {
    const pending = (tail - this.entHead) >>> 0;
    if (pending > SLOTS) {
      throw new RingFault(`net ring: ent_tail=${tail} is ${pending} entries ahead of ent_head=${this.entHead} (the ring has ${SLOTS})`);
    }
    const view = this.view;
    while (this.entHead !== tail) {
      const at = this.entriesAt + (this.entHead & SLOT_MASK) * HVT_RING.entryBytes;
      const op = view.getUint32(at + HVT_RING_ENTRY.op, true);
      const handle = view.getUint32(at + HVT_RING_ENTRY.handle, true);
      const dataLow = view.getUint32(at + HVT_RING_ENTRY.data, true);
      const dataHigh = view.getUint32(at + HVT_RING_ENTRY.data + 4, true);
      const len = view.getUint32(at + HVT_RING_ENTRY.len, true);
      if (op === HVT_RING_OP_NET_WRITE) {
        this.write(handle, dataLow, dataHigh, len);
      } else if (op === HVT_RING_OP_NET_READ) {
        Atomics.store(this.indices, ENT_HEAD, this.entHead);
        this.read(handle, dataLow, dataHigh, len, view.getUint32(at + HVT_RING_ENTRY.id, true));
      }
      // Other operations are skipped, as in Solo5.
      this.entHead = (this.entHead + 1) >>> 0;
    }
    Atomics.store(this.indices, ENT_HEAD, this.entHead);
  }

  private fdOf(handle: number): number {
    return handle < MFT_MAX_ENTRIES ? this.layout.fdByHandle[handle] : -1;
  }

  private write(handle: number, dataLow: number, dataHigh: number, len: number): void {
    const fd = this.fdOf(handle);
    if (fd < 0) return; // an unknown handle: skipped, as in Solo5
    if (len > HVT_RING.slotBytes) {
      throw new RingFault(`net ring: NET_WRITE entry ${this.entHead}: length ${len} exceeds the ${HVT_RING.slotBytes}-byte slot`);
    }
    this.check(dataLow, dataHigh, len, false, 'NET_WRITE');
    const address = this.layout.hostBase + dataLow;
    let written = this.io.write(fd, address, len);
    while (written === -EINTR) written = this.io.write(fd, address, len);
    if (written < 0) throw new RingFault(`Fatal error when writing to network device: ${this.io.describe(-written)}`);
    if (written !== len) throw new RingFault(`Fatal error: wrote only ${written} out of ${len} bytes`);
  }

  private read(handle: number, dataLow: number, dataHigh: number, len: number, id: number): void {
    const comHead = Atomics.load(this.indices, COM_HEAD);
    if (((this.comTail - comHead) >>> 0) >= SLOTS) {
      throw new RingFault(`net ring: com_head=${comHead} is out of range (com_tail=${this.comTail}, the ring has ${SLOTS})`);
    }
    let ret = SOLO5_R_EINVAL;
    let got = 0;
    const fd = this.fdOf(handle);
    if (fd >= 0) {
      this.check(dataLow, dataHigh, len, true, 'NET_READ');
      const address = this.layout.hostBase + dataLow;
      let read = this.io.read(fd, address, len);
      while (read === -EINTR) read = this.io.read(fd, address, len);
      if (read > 0) {
        ret = SOLO5_R_OK;
        got = read;
      } else if (read === 0 || read === -EAGAIN) {
        ret = SOLO5_R_AGAIN;
      } else {
        throw new RingFault(`Fatal error when reading from network device: ${this.io.describe(-read)}`);
      }
    }
    const at = this.commitsAt + (this.comTail & SLOT_MASK) * HVT_RING.commitBytes;
    const view = this.view;
    view.setUint32(at + HVT_RING_COMMIT.id, id, true);
    view.setInt32(at + HVT_RING_COMMIT.ret, ret, true);
    view.setUint32(at + HVT_RING_COMMIT.len, got, true);
    this.comTail = (this.comTail + 1) >>> 0;
    Atomics.store(this.indices, COM_TAIL, this.comTail);
  }

  /** GuestMemory.check's rule (Solo5's HVT_CHECKED_GPA_P), for a range named by a ring entry. */
  private check(dataLow: number, dataHigh: number, len: number, writes: boolean, what: string): void {
    const limit = this.layout.guestSizeBytes;
    const end = dataLow + len;
    if (
      dataHigh !== 0 ||
      dataLow >= limit ||
      len >= limit ||
      end >= limit ||
      overlaps(this.layout.inaccessible, dataLow, end) ||
      (writes && overlaps(this.layout.unwritable, dataLow, end))
    ) {
      const gpa = (BigInt(dataHigh) << 32n) | BigInt(dataLow);
      throw new RingFault(`${what} (net ring): Invalid guest access: gpa=0x${gpa.toString(16)}, sz=${len}`);
    }
  }
}

function overlaps(ranges: readonly number[], start: number, end: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) if (start < ranges[i + 1] && end > ranges[i]) return true;
  return false;
}
