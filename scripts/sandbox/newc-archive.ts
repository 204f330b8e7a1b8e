// Writes an initramfs in the kernel's "newc" cpio format (see the kernel's Documentation/driver-api/early-userspace/buffer-format.rst).

export type ArchiveEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; path: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const TRAILER = 'TRAILER!!!';

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function record(ino: number, mode: number, name: string, body: Buffer): Buffer[] {
  const nameBytes = Buffer.from(`${name}\0`);
  const header =
    '070701' +
    [ino, mode, 0, 0, 1, 0, body.length, 0, 0, 0, 0, nameBytes.length, 0].map(hex8).join('');
  const head = Buffer.concat([Buffer.from(header, 'ascii'), nameBytes]);
  return [head, pad4(head.length), body, pad4(body.length)];
}

/** Serialises entries (paths relative to the archive root, parents listed before children) into one newc archive. */
export function newcArchive(entries: readonly ArchiveEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((entry, index) => {
    const path = entry.path.replace(/^\/+/, '');
    const ino = index + 1;
    switch (entry.kind) {
      case 'dir':
        parts.push(...record(ino, S_IFDIR | (entry.mode ?? 0o755), path, Buffer.alloc(0)));
        break;
      case 'file':
        parts.push(...record(ino, S_IFREG | (entry.mode ?? 0o644), path, entry.data));
        break;
      case 'symlink':
        parts.push(...record(ino, S_IFLNK | 0o777, path, Buffer.from(entry.target)));
        break;
    }
  });
  parts.push(...record(0, 0, TRAILER, Buffer.alloc(0)));
  return Buffer.concat(parts);
}
