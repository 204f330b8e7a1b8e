// Where a shim listens: one socket per group of containers (a pod shares one shim), named as containerd's runc shim
// names its own, and the `address` file containerd reads back after a restart.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { identify } from '../runtime/process-identity';

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
  return join(SOCKET_DIR, sha256(join(containerdAddress, namespace, group)));
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * The socket of the shared shim (`shared_shim = 1`): one per containerd, namespace and runtime options (the bytes
 * containerd gives `start` on stdin), whatever the container's annotations. The key is plain text, not a
 * normalised path, because the shell front (src/cli/containerd-shim-runcc-v2.sh) computes it too, with sha256sum.
 */
export function sharedSocketPath(containerdAddress: string, namespace: string, runtimeOptions: Buffer): string {
  return join(SOCKET_DIR, sha256(`${containerdAddress}/${namespace}/runcc-shared-${sha256(runtimeOptions)}`));
}

/**
 * `<socket>.pid`: "PID STARTTIME", written by a shared shim while it takes new containers. The shell front joins
 * the server it names without starting node when that process is alive (same pid, same start time: field 22 of
 * /proc/PID/stat); a shim about to go removes it first.
 */
export function serverPidFile(socket: string): string {
  return `${socket}.pid`;
}

export function writeServerPidFile(socket: string): void {
  const self = identify(process.pid);
  if (!self) return;
  const temp = `${serverPidFile(socket)}.${process.pid}`;
  writeFileSync(temp, `${self.pid} ${self.startTime}\n`, { mode: 0o600 });
  renameSync(temp, serverPidFile(socket));
}

/** Removes the pid file if it names this process: a newer server of the same name may have written its own. */
export function removeServerPidFile(socket: string): void {
  try {
    if (readFileSync(serverPidFile(socket), 'utf8').split(' ')[0] !== String(process.pid)) return;
  } catch {
    return;
  }
  rmSync(serverPidFile(socket), { force: true });
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
