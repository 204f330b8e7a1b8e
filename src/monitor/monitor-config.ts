// What a monitor run needs, whoever asks for it: `runcc hvt` options today, the OCI runtime later.

export interface BlockAttachment {
  name: string;
  /** Backing file or block device; empty when only a sector size was given (the device stays unattached). */
  path: string;
  sectorBytes?: number;
}

export type NetBackend = { kind: 'interface'; ifname: string } | { kind: 'fd'; fd: number };

export interface NetAttachment {
  name: string;
  /** Absent when only a MAC was given (the device stays unattached). */
  backend?: NetBackend;
  /** The option that named the backend, quoted when attaching fails. */
  option?: string;
  mac?: Uint8Array;
}

export interface MonitorConfig {
  kernelPath: string;
  /** Requested guest memory in MiB, before rounding to the architecture's granule. */
  memMiB: number;
  /** Guest command line words (joined with single spaces for the guest). */
  guestArgs: string[];
  blocks: BlockAttachment[];
  nets: NetAttachment[];
}

export const DEFAULT_MEM_MIB = 512;
