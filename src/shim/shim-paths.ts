// Where the shim keeps runcc's container state: one state root per containerd namespace, the same layout as
// `runcc --root`, so `runcc --root /run/containerd/runcc/NS list` shows the shim's containers.
import { join } from 'node:path';
import { StateStore } from '../runtime/state-store';

export const SHIM_STATE_ROOT = '/run/containerd/runcc';

export function shimStore(namespace: string): StateStore {
  return new StateStore(join(process.env.RUNCC_SHIM_ROOT ?? SHIM_STATE_ROOT, namespace || 'default'));
}

/** runc's --root for the Linux containers of a pod the shim runs. */
export function shimRuncRoot(namespace: string): string {
  return join(process.env.RUNCC_SHIM_RUNC_ROOT ?? '/run/containerd/runcc-runc', namespace || 'default');
}
