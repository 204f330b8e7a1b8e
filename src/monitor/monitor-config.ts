// What a monitor run needs, whoever asks for it: `runcc hvt` options today, the OCI runtime later.

export interface BlockAttachment {
  name: string;
  path: string;
  sectorBytes?: number;
}

export type NetBackend = { kind: 'interface'; ifname: string } | { kind: 'fd'; fd: number };

export interface NetAttachment {
  name: string;
  backend?: NetBackend;
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
