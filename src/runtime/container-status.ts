// The live status of a runcc container, derived from its monitor process and start gate, never stored.
import { readFileSync } from 'node:fs';
import { OCI_VERSION, State } from '../oci/runtime-spec';
import { isAlive } from './process-identity';
import { startGateClosed } from './start-gate';
import { ContainerRecord, StateStore } from './state-store';

export type LiveStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

function isStopped(pid: number): boolean {
  try {
    return /^State:\s+T/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

export function liveStatus(store: StateStore, record: ContainerRecord): LiveStatus {
  // A placeholder whose creator died (killed during create) is as good as stopped: delete removes it.
  if (!record.monitor) return record.creator && isAlive(record.creator) ? 'creating' : 'stopped';
  if (!isAlive(record.monitor)) return 'stopped';
  if (startGateClosed(store.dir(record.id))) return 'created';
  return isStopped(record.monitor.pid) ? 'paused' : 'running';
}

/** The OCI state document (runc's fields: rootfs and created too), as `runcc state` prints it and hooks receive it. */
export function stateDocument(record: ContainerRecord, status: LiveStatus): State & { rootfs: string; created: string } {
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
