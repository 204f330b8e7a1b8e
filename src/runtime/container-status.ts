// The live status of a runcc container, derived from its monitor process and start gate, never stored.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OCI_VERSION, State } from '../oci/runtime-spec';
import { isAlive } from './process-identity';
import { ContainerRecord, START_FIFO, StateStore } from './state-store';

export type LiveStatus = 'created' | 'running' | 'paused' | 'stopped';

function isStopped(pid: number): boolean {
  try {
    return /^State:\s+T/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export function liveStatus(store: StateStore, record: ContainerRecord): LiveStatus {
  if (!record.monitor || !isAlive(record.monitor)) return 'stopped';
  if (existsSync(join(store.dir(record.id), START_FIFO))) return 'created';
  return isStopped(record.monitor.pid) ? 'paused' : 'running';
}

/** The OCI state document (runc's fields: rootfs and created too), as `runcc state` prints it and hooks receive it. */
export function stateDocument(record: ContainerRecord, status: LiveStatus | 'creating'): State & { rootfs: string; created: string } {
  const alive = status !== 'stopped' && record.monitor !== undefined;
  return {
    ociVersion: OCI_VERSION,
    id: record.id,
    pid: alive ? record.monitor!.pid : 0,
    status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    annotations: record.annotations,
  };
}
