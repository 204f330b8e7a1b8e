// Least privilege for the process that runs a guest. Everything privileged is acquired first (/dev/kvm, guest RAM,
// block files, TAPs and their tc wiring, the console); just before the vCPU starts, the monitor gives up the rest:
// no core dumps (guest RAM is also excluded from them), an empty capability bounding and ambient set, a root that is
// an empty directory already removed from the filesystem, an unprivileged uid and gid with the spec's groups only
// (losing every capability with uid 0), and no_new_privs. What it keeps is its open file descriptors.
import { mkdtempSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  becomeUser,
  dropBoundingAndAmbientCapabilities,
  enterRemovedEmptyRoot,
  setNoNewPrivileges,
  setNotDumpable,
} from '../../ffi/privileges';
import { SysError } from '../../ffi/sys-error';
import { MonitorError } from '../monitor-error';
import { ConfinementRequest } from '../monitor-config';

/** The identity a confined monitor takes, and where it makes its empty root. */
export interface MonitorConfinement {
  uid: number;
  gid: number;
  groups: number[];
  /** A directory on a local filesystem in which the (immediately removed) empty root is made. */
  scratchDir: string;
}

/**
 * The uid and gid a monitor runs as when the container's own user is root (or `runcc hvt` runs as root): dedicated
 * to runcc's monitors, owning no file. RUNCC_MONITOR_UID / RUNCC_MONITOR_GID choose
 * others; RUNCC_CONFINE=off skips the drop, for debugging.
 */
export const DEFAULT_MONITOR_ID = 65532;

function idFrom(env: ConfinementRequest['env'], name: 'RUNCC_MONITOR_UID' | 'RUNCC_MONITOR_GID'): number {
  const text = env[name];
  if (text === undefined) return DEFAULT_MONITOR_ID;
  const id = Number(text);
  if (!/^\d+$/.test(text) || id === 0 || id > 0xfffffffe) throw new MonitorError(`${name}: "${text}" must be a non-zero numeric id`);
  return id;
}

/** The container's user when it is not root, else the dedicated monitor id. */
export function monitorIdentity(request: ConfinementRequest, scratchDir: string): MonitorConfinement {
  const { user, env } = request;
  if (user && user.uid !== 0) return { uid: user.uid, gid: user.gid, groups: user.additionalGids ?? [], scratchDir };
  return { uid: idFrom(env, 'RUNCC_MONITOR_UID'), gid: idFrom(env, 'RUNCC_MONITOR_GID'), groups: [], scratchDir };
}

/** Drops the monitor's privileges (see the top of this file); only root has any to drop. */
export function dropPrivileges(confinement: MonitorConfinement): void {
  try {
    setNotDumpable();
    if (process.getuid?.() === 0) {
      dropBoundingAndAmbientCapabilities();
      enterRemovedEmptyRoot(mkdtempSync(join(confinement.scratchDir, '.runcc-root-')), rmdirSync);
      becomeUser(confinement.uid, confinement.gid, confinement.groups);
    }
    setNoNewPrivileges();
  } catch (error) {
    if (error instanceof SysError) throw new MonitorError(`cannot confine the monitor: ${error.message}`);
    throw error;
  }
}
