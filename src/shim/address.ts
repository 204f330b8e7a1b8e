// Where a shim listens: one socket per group of containers (a pod shares one shim), named as containerd's runc shim
// names its own, and the `address` file containerd reads back after a restart.
import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Annotations that put containers in one shim, first found wins: runcc's own key, runc's, then CRI's pod id. */
export const GROUP_ANNOTATIONS = ['io.containerd.runcc.v2.group', 'io.containerd.runc.v2.group', 'io.kubernetes.cri.sandbox-id'];

export const SOCKET_DIR = '/run/containerd/s';

export function groupId(annotations: Readonly<Record<string, string>> | undefined, taskId: string): string {
  for (const key of GROUP_ANNOTATIONS) {
    const value = annotations?.[key];
    if (value) return value;
  }
  return taskId;
}

/** The socket path for a group: SOCKET_DIR/hex(sha256(address/namespace/group)), 81 bytes, under the 106 limit. */
export function socketPath(containerdAddress: string, namespace: string, group: string): string {
  const key = join(containerdAddress, namespace, group);
  return join(SOCKET_DIR, createHash('sha256').update(key).digest('hex'));
}

export function socketAddress(path: string): string {
  return `unix://${path}`;
}

export function pathOfAddress(address: string): string {
  return address.startsWith('unix://') ? address.slice('unix://'.length) : address;
}

/** `<bundle>/address`, atomically and without a newline (containerd 1.6 reads it verbatim). */
export function writeAddressFile(bundle: string, address: string): void {
  const temp = join(bundle, '.address');
  writeFileSync(temp, address, { mode: 0o644 });
  renameSync(temp, join(bundle, 'address'));
}
