// What a monitor run needs, whoever asks for it: `runcc hvt` options today, the OCI runtime later.

export interface BlockAttachment {
  name: string;
  /** Backing file or block device; empty when only a sector size was given (the device stays unattached). */
  path: string;
  sectorBytes?: number;
}

/**
 * A TAP by name (opened in the monitor's network namespace) or an open fd. An fd's `mtu`, when given, comes from
 * whoever opened the TAP in its own namespace (which also turned its offloads off): the monitor then looks nothing
 * up by name, which in another namespace than the TAP's would find nothing, or another interface.
 */
export type NetBackend = { kind: 'interface'; ifname: string } | { kind: 'fd'; fd: number; mtu?: number };

export interface NetAttachment {
  name: string;
  /** Absent when only a MAC was given (the device stays unattached). */
  backend?: NetBackend;
  /** The option that named the backend, quoted when attaching fails. */
  option?: string;
  mac?: Uint8Array;
}

/**
 * How a monitor confines itself before its guest runs (monitor/confinement/privilege-drop.ts): as the container's
 * user when it is not root, else as the dedicated monitor id (RUNCC_MONITOR_UID / RUNCC_MONITOR_GID from `env`).
 */
export interface ConfinementRequest {
  user?: { uid: number; gid: number; additionalGids?: number[] };
  env: { RUNCC_MONITOR_UID?: string; RUNCC_MONITOR_GID?: string };
}

/** The confinement asked for by the environment: none when RUNCC_CONFINE=off (for debugging), else the default. */
export function confinementFromEnv(env: NodeJS.ProcessEnv, user?: ConfinementRequest['user']): ConfinementRequest | undefined {
  if (env.RUNCC_CONFINE === 'off') return undefined;
  return { user, env: { RUNCC_MONITOR_UID: env.RUNCC_MONITOR_UID, RUNCC_MONITOR_GID: env.RUNCC_MONITOR_GID } };
}

export interface MonitorConfig {
  kernelPath: string;
  /** Requested guest memory in MiB, before rounding to the architecture's granule. */
  memMiB: number;
  /** Guest command line words (joined with single spaces for the guest). */
  guestArgs: string[];
  blocks: BlockAttachment[];
  nets: NetAttachment[];
  /** Absent: the monitor keeps its privileges (RUNCC_CONFINE=off). */
  confinement?: ConfinementRequest;
  /** Offer Solo5's shared-memory network ring to a guest with a net device (default); false: hypercalls only. */
  netRing?: boolean;
}

/** The ring switch: RUNCC_NET_RING=off turns the ring off (the guest then uses NET_READ/NET_WRITE hypercalls). */
export function netRingFromEnv(env: NodeJS.ProcessEnv): boolean {
  return env.RUNCC_NET_RING !== 'off';
}

export const DEFAULT_MEM_MIB = 512;
