// The host side of the network ring over a plain buffer standing in for guest memory: what it sends and commits,
// and the hostile indices and lengths that end the monitor. The worker, eventfds and KVM are the e2e tests' part.
import { HVT_RING, HVT_RING_OP_NET_READ, HVT_RING_OP_NET_WRITE, SOLO5_R_AGAIN, SOLO5_R_EINVAL, SOLO5_R_OK } from '../../../src/solo5/abi';
import { RingFault, RingIo, RingServer } from '../../../src/monitor/net-ring/ring-server';
import { ringReservation, withRingRoom } from '../../../src/monitor/net-ring/net-ring';

const MIB = 1024 * 1024;
const GUEST_BYTES = 4 * MIB;
const RING_GPA = GUEST_BYTES;
/** Host "address" of guest-physical 0 as the fake io sees it. */
const HOST_BASE = 0x7000_0000_0000;
const TAP_FD = 9;

interface Harness {
  memory: ArrayBuffer;
  view: DataView;
  sent: number[][];
  /** Frames the fake TAP hands to reads, in order; none left: EAGAIN. */
  incoming: number[][];
  server: RingServer;
}

function harness(): Harness {
  const memory = new ArrayBuffer(GUEST_BYTES + HVT_RING.reservedBytes);
  const view = new DataView(memory);
  const bytes = new Uint8Array(memory);
  const sent: number[][] = [];
  const incoming: number[][] = [];
  let kicks = 0;
  const io: RingIo = {
    write: (fd, address, length) => {
      expect(fd).toBe(TAP_FD);
      sent.push([...bytes.subarray(address - HOST_BASE, address - HOST_BASE + length)]);
      return length;
    },
    read: (_fd, address, length) => {
      const frame = incoming.shift();
      if (!frame) return -11;
      const n = Math.min(length, frame.length);
      bytes.set(frame.slice(0, n), address - HOST_BASE);
      return n;
    },
    waitForKick: () => void kicks++,
    // The fake stops once the guest has nothing queued: serve() then returns.
    stopRequested: () => true,
    describe: (errnum) => `errno ${errnum}`,
  };
  const fdByHandle = new Int32Array(64).fill(-1);
  fdByHandle[1] = TAP_FD;
  const server = new RingServer(memory, { hostBase: HOST_BASE, guestSizeBytes: GUEST_BYTES, ringGpa: RING_GPA, fdByHandle, unwritable: [0x100000, 0x101000], inaccessible: [] }, io);
  return { memory, view, sent, incoming, server };
}

function queue(h: Harness, entries: { op: number; handle: number; data: number; len: number; id?: number }[], tail?: number): void {
  let at = h.view.getUint32(RING_GPA + HVT_RING.entTail, true);
  for (const e of entries) {
    const slot = RING_GPA + HVT_RING.entries + (at % HVT_RING.slots) * HVT_RING.entryBytes;
    h.view.setUint32(slot, e.op, true);
    h.view.setUint32(slot + 4, e.handle, true);
    h.view.setBigUint64(slot + 8, BigInt(e.data), true);
    h.view.setUint32(slot + 16, e.len, true);
    h.view.setUint32(slot + 20, e.id ?? 0, true);
    at++;
  }
  h.view.setUint32(RING_GPA + HVT_RING.entTail, tail ?? at, true);
}

function commit(h: Harness, index: number): { id: number; ret: number; len: number } {
  const at = RING_GPA + HVT_RING.commits + index * HVT_RING.commitBytes;
  return { id: h.view.getUint32(at, true), ret: h.view.getInt32(at + 4, true), len: h.view.getUint32(at + 8, true) };
}

describe('the ring server', () => {
  test('sends queued frames in order, commits reads with their ids, and advances ent_head and com_tail', () => {
    const h = harness();
    new Uint8Array(h.memory).set([1, 2, 3], 0x2000);
    h.incoming.push([9, 8, 7, 6]);
    queue(h, [
      { op: HVT_RING_OP_NET_WRITE, handle: 1, data: 0x2000, len: 3 },
      { op: HVT_RING_OP_NET_READ, handle: 1, data: 0x3000, len: 1514, id: 41 },
      { op: HVT_RING_OP_NET_READ, handle: 1, data: 0x3000, len: 1514, id: 42 },
      { op: HVT_RING_OP_NET_READ, handle: 5, data: 0x3000, len: 1514, id: 43 },
      { op: 77, handle: 1, data: 0, len: 0 },
      { op: HVT_RING_OP_NET_WRITE, handle: 5, data: 0x2000, len: 3 },
    ]);
    h.server.serve();
    expect(h.sent).toEqual([[1, 2, 3]]);
    expect([commit(h, 0), commit(h, 1), commit(h, 2)]).toEqual([
      { id: 41, ret: SOLO5_R_OK, len: 4 },
      { id: 42, ret: SOLO5_R_AGAIN, len: 0 },
      { id: 43, ret: SOLO5_R_EINVAL, len: 0 },
    ]);
    expect([...new Uint8Array(h.memory, 0x3000, 4)]).toEqual([9, 8, 7, 6]);
    expect(h.view.getUint32(RING_GPA + HVT_RING.entHead, true)).toBe(6);
    expect(h.view.getUint32(RING_GPA + HVT_RING.comTail, true)).toBe(3);
  });

  test.each([
    ['ent_tail too far ahead', [], 1025, 'net ring: ent_tail=1025 is 1025 entries ahead of ent_head=0 (the ring has 1024)'],
    ['ent_tail behind ent_head', [], 0xffffffff, 'net ring: ent_tail=4294967295 is 4294967295 entries ahead of ent_head=0 (the ring has 1024)'],
    ['a write longer than its slot', [{ op: HVT_RING_OP_NET_WRITE, handle: 1, data: 0x2000, len: 2049 }], undefined, 'net ring: NET_WRITE entry 0: length 2049 exceeds the 2048-byte slot'],
    ['a frame past the top of memory', [{ op: HVT_RING_OP_NET_WRITE, handle: 1, data: GUEST_BYTES - 16, len: 64 }], undefined, 'NET_WRITE (net ring): Invalid guest access: gpa=0x3ffff0, sz=64'],
    ['a frame in the ring itself', [{ op: HVT_RING_OP_NET_WRITE, handle: 1, data: RING_GPA, len: 64 }], undefined, 'NET_WRITE (net ring): Invalid guest access: gpa=0x400000, sz=64'],
    ['an address above 4 GiB', [{ op: HVT_RING_OP_NET_WRITE, handle: 1, data: 2 ** 32 + 0x2000, len: 64 }], undefined, 'NET_WRITE (net ring): Invalid guest access: gpa=0x100002000, sz=64'],
    ['a read into read-only text', [{ op: HVT_RING_OP_NET_READ, handle: 1, data: 0x100800, len: 64 }], undefined, 'NET_READ (net ring): Invalid guest access: gpa=0x100800, sz=64'],
    ['a read buffer of 4 GiB', [{ op: HVT_RING_OP_NET_READ, handle: 1, data: 0x2000, len: 0xffffffff }], undefined, 'NET_READ (net ring): Invalid guest access: gpa=0x2000, sz=4294967295'],
  ])('%s ends the monitor', (_what, entries, tail, message) => {
    const h = harness();
    queue(h, entries, tail);
    expect(() => h.server.serve()).toThrow(new RingFault(message));
    expect(h.sent).toEqual([]);
  });

  test('a com_head that is not behind com_tail by at most 1024 ends the monitor at the next commit', () => {
    const h = harness();
    h.view.setUint32(RING_GPA + HVT_RING.comHead, 7, true);
    queue(h, [{ op: HVT_RING_OP_NET_READ, handle: 1, data: 0x3000, len: 64, id: 1 }]);
    expect(() => h.server.serve()).toThrow(new RingFault('net ring: com_head=7 is out of range (com_tail=0, the ring has 1024)'));
  });
});

describe('the ring reservation (ABI reference §4.4)', () => {
  test('adds 2 MiB, rounded to the granule and capped at the maximum', () => {
    expect(withRingRoom(512 * MIB, 2 * MIB, 4096 * MIB)).toBe(514 * MIB);
    expect(withRingRoom(4096 * MIB, 2 * MIB, 4096 * MIB)).toBe(4096 * MIB);
  });

  test('takes the top 2 MiB when the allocation is at least 4 MiB and the kernel ends below them', () => {
    expect(ringReservation(514 * MIB, 3 * MIB)).toBe(512 * MIB);
    expect(ringReservation(2 * MIB, 1 * MIB)).toBeUndefined();
    expect(ringReservation(4 * MIB, 3 * MIB)).toBeUndefined();
  });
});
