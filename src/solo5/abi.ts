// The Solo5 hvt ABI as data (ABI reference §2, §4, §5): notes, manifest layout, hypercalls, boot info, result codes.

export const HVT_ABI_TARGET = 1;
export const HVT_ABI_VERSION = 2;

export const SOLO5_NOTE_OWNER = 'Solo5';
/** "ABI1" */
export const SOLO5_NOTE_ABI1 = 0x31494241;
/** "MFT1" */
export const SOLO5_NOTE_MFT1 = 0x3154464d;
export const ABI1_NOTE_ALIGN = 4;
export const ABI1_NOTE_MAX_DESC_BYTES = 32;
export const MFT1_NOTE_ALIGN = 8;

/** How to find each Solo5 note: owner, type, descriptor alignment, largest descsz. */
export const SOLO5_ABI1_NOTE = {
  owner: SOLO5_NOTE_OWNER,
  type: SOLO5_NOTE_ABI1,
  descAlign: ABI1_NOTE_ALIGN,
  maxDescBytes: ABI1_NOTE_MAX_DESC_BYTES,
} as const;

export const MFT_VERSION = 1;
export const MFT_MAX_ENTRIES = 64;
export const MFT_HEADER_BYTES = 8;
export const MFT_ENTRY_BYTES = 104;
export const MFT_NAME_BYTES = 68;
/** descsz limit of the MFT1 note: 4 bytes of alignment padding + a full manifest. */
export const MFT1_NOTE_MAX_DESC_BYTES = 4 + MFT_HEADER_BYTES + MFT_MAX_ENTRIES * MFT_ENTRY_BYTES;
export const SOLO5_MFT1_NOTE = {
  owner: SOLO5_NOTE_OWNER,
  type: SOLO5_NOTE_MFT1,
  descAlign: MFT1_NOTE_ALIGN,
  maxDescBytes: MFT1_NOTE_MAX_DESC_BYTES,
} as const;

/** Offsets inside one manifest entry. */
export const MFT_ENTRY_OFFSET = {
  name: 0,
  type: 68,
  blockCapacity: 72,
  blockSize: 80,
  netMac: 72,
  netMtu: 78,
  hostFd: 88,
  attached: 96,
} as const;

export const MFT_DEV_BLOCK_BASIC = 1;
export const MFT_DEV_NET_BASIC = 2;
export const MFT_RESERVED_FIRST = 0x40000000;

/** Hypercall numbers: the guest does OUT to port HVT_HYPERCALL_PIO_BASE + nr (x86_64). */
export const HVT_HYPERCALL_WALLTIME = 1;
export const HVT_HYPERCALL_PUTS = 2;
export const HVT_HYPERCALL_POLL = 3;
export const HVT_HYPERCALL_BLOCK_WRITE = 4;
export const HVT_HYPERCALL_BLOCK_READ = 5;
export const HVT_HYPERCALL_NET_WRITE = 6;
export const HVT_HYPERCALL_NET_READ = 7;
export const HVT_HYPERCALL_HALT = 8;
export const HVT_HYPERCALL_MAX = 9;
export const HVT_HYPERCALL_PIO_BASE = 0x500;

/** Argument struct layouts (byte offsets) and sizes. */
export const HVT_WALLTIME = { bytes: 8, nsecs: 0 } as const;
export const HVT_PUTS = { bytes: 16, data: 0, len: 8 } as const;
export const HVT_POLL = { bytes: 24, timeoutNsecs: 0, readySet: 8, ret: 16 } as const;
/** BLOCK_WRITE and BLOCK_READ share one layout; `len` is IN for both. */
export const HVT_BLOCK = { bytes: 40, handle: 0, offset: 8, data: 16, len: 24, ret: 32 } as const;
/** NET_WRITE and NET_READ share one layout; for NET_READ `len` is the buffer size in and the frame size out. */
export const HVT_NET = { bytes: 32, handle: 0, data: 8, len: 16, ret: 24 } as const;
export const HVT_HALT = { bytes: 16, cookie: 0, exitStatus: 8 } as const;
export const HVT_HALT_COOKIE_MAX = 512;

/** struct hvt_boot_info (56 bytes). */
export const HVT_BOOT_INFO = {
  bytes: 56,
  memSize: 0,
  kernelEnd: 8,
  cpuCycleFreq: 16,
  cmdline: 24,
  mft: 32,
  hostFeatures: 40,
  guestFeatures: 44,
  netRing: 48,
} as const;
export const HVT_CMDLINE_SIZE = 8192;

export const SOLO5_R_OK = 0;
export const SOLO5_R_AGAIN = 1;
export const SOLO5_R_EINVAL = 2;
export const SOLO5_R_EUNSPEC = 3;

/** Guest exit status conventions. */
export const SOLO5_EXIT_SUCCESS = 0;
export const SOLO5_EXIT_FAILURE = 1;
export const SOLO5_EXIT_ABORT = 255;

/**
 * The optional shared-memory network ring (ABI reference §6.4): `host_features` bit 0 and `net_ring` in the boot
 * info offer it; it lives in the top RESERVED_BYTES of the allocation, above the guest-visible memory size.
 */
export const HVT_FEATURE_RING_IO = 1;
export const HVT_RING = {
  bytes: 49280,
  /** What the ring takes from the allocation: its size rounded up to the 2 MiB granule. */
  reservedBytes: 2 * 1024 * 1024,
  slots: 1024,
  /** u32 fields: written by the guest (entTail, comHead) and by the host (entHead, comTail, needsKick). */
  entTail: 0,
  comHead: 4,
  entHead: 64,
  comTail: 68,
  needsKick: 72,
  entries: 128,
  entryBytes: 32,
  commits: 32896,
  commitBytes: 16,
  /** The guest's copy buffer per entry: frames above it go through NET_WRITE (ABI reference §6.4). */
  slotBytes: 2048,
} as const;
export const HVT_RING_ENTRY = { op: 0, handle: 4, data: 8, len: 16, id: 20 } as const;
export const HVT_RING_COMMIT = { id: 0, ret: 4, len: 8 } as const;
export const HVT_RING_OP_NET_WRITE = 1;
export const HVT_RING_OP_NET_READ = 2;
/** The guest's kick: a 4-byte OUT to this port, which KVM turns into an eventfd write (x86_64). */
export const HVT_RING_KICK_PORT = 0x600;
