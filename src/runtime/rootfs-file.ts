// The one way runcc reads a small file of its own out of a container's root filesystem (`/runcc.json`,
// `/urunc.json`, `/etc/passwd`, `/etc/group`): the image is hostile, so the path is resolved inside the rootfs
// (links never lead to host files), the file is opened without following a final link and without blocking (a
// FIFO must not hang runcc), it must be a regular file whose descriptor still lies inside the rootfs (no component
// swapped for a link meanwhile), and it is read only up to a cap.
import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { pathInRootfs } from './bundle';
import { RuntimeError } from './runtime-error';

/** Largest configuration file runcc reads from a rootfs. */
export const MAX_ROOTFS_FILE_BYTES = 1024 * 1024;

export interface RootfsFileOptions {
  maxBytes?: number;
  /** The error type of the caller (the image code reports ImageError). */
  error?: (message: string) => Error;
}

function kindOf(stat: ReturnType<typeof fstatSync>): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * The bytes of `inner` (an absolute path as the container sees it) in `rootfs`, or undefined when there is no such
 * file. Anything else that is not a small regular file inside the rootfs is an error naming it.
 */
export function readRootfsFile(rootfs: string, inner: string, options: RootfsFileOptions = {}): Buffer | undefined {
  const maxBytes = options.maxBytes ?? MAX_ROOTFS_FILE_BYTES;
  const fail = (problem: string): Error => (options.error ?? ((m) => new RuntimeError(m)))(`${inner} in the root filesystem: ${problem}`);
  let path: string;
  try {
    path = pathInRootfs(rootfs, inner);
  } catch {
    throw fail('too many levels of symbolic links');
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw fail('is a symbolic link');
    throw fail((error as Error).message);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw fail(`must be a regular file, not ${kindOf(stat)}`);
    const root = realpathSync(rootfs);
    const opened = readlinkSync(`/proc/self/fd/${fd}`);
    if (!opened.startsWith(root + sep)) throw fail('resolves outside the root filesystem');
    if (stat.size > maxBytes) throw fail(`larger than ${maxBytes} bytes`);
    // Room for one byte more than fstat said: a file growing meanwhile is caught, not read without end.
    const buffer = Buffer.alloc(stat.size + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > stat.size) throw fail('changed while being read');
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
